from tests.fixtures.bluesky import bluesky_env, fake_bluesky, make_bluesky_client  # noqa: F401
