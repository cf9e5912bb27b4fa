from tests.fixtures.mastodon import fake_mastodon, make_mastodon_client, mastodon_env  # noqa: F401
