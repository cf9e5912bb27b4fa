"""Bluesky through the ``atproto`` package: posting, numbers, amplifiers and doctor for one account."""
