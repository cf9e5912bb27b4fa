"""Reports for an account's clients: what a month of posts achieved, per network and in total."""
