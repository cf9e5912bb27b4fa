"""The fake X API serves several accounts, told apart by the access token; driven by the real tweepy."""

from zoneinfo import ZoneInfo

import pytest
import requests
import tweepy

from bot.adapters.x.client import XClient, XError
from bot.adapters.x.publisher import XPublisher
from tests.fakes.x_server import ACCESS_TOKEN, API_KEY, FakeX

TWEEPY_HOST = "https://api.twitter.com"


class _ToFake(requests.Session):
    """tweepy's requests to the fake server instead of X."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base_url = base_url

    def request(self, method, url, *args, **kwargs):
        return super().request(method, url.replace(TWEEPY_HOST, self._base_url, 1), *args, **kwargs)


def tweepy_client(fake_x: FakeX, access_token: str, *, api_key: str = API_KEY) -> tweepy.Client:
    client = tweepy.Client(consumer_key=api_key, consumer_secret="secret", access_token=access_token,
                           access_token_secret="token-secret", return_type=dict)
    client.session = _ToFake(fake_x.base_url)
    return client


@pytest.fixture
def kunde_b(fake_x):
    return fake_x.add_account("token-b", user_id="5151", username="kunde_b", followers=80)


def test_each_token_acts_as_its_own_account(fake_x, kunde_b):
    standard, b = tweepy_client(fake_x, ACCESS_TOKEN), tweepy_client(fake_x, "token-b")
    assert standard.get_me(user_auth=True)["data"]["username"] == "spitzfeder"
    me = b.get_me(user_auth=True, user_fields=["public_metrics"])["data"]
    assert (me["id"], me["username"], me["name"], me["public_metrics"]["followers_count"]) == \
        ("5151", "kunde_b", "Kunde_b", 80)
    ours = standard.create_tweet(text="Wer zahlt?", user_auth=True)["data"]["id"]
    theirs = b.create_tweet(text="Wer zahlt?", user_auth=True)["data"]["id"]  # the same text on another account
    assert [p.id for p in fake_x.posts_of("kunde_b")] == [theirs] and list(kunde_b.posts) == [theirs]
    assert list(fake_x.posts) == [ours]  # FakeX's own attributes speak of the default account
    assert fake_x.posts[ours].author_id == "4242" and kunde_b.posts[theirs].author_id == "5151"
    timeline = b.get_users_tweets("5151", user_auth=True)["data"]
    assert [post["id"] for post in timeline] == [theirs]
    assert kunde_b.count("POST", "/2/tweets") == 1 and fake_x.count("POST", "/2/tweets") == 2


def test_a_lookup_names_each_posts_author(fake_x, kunde_b):
    ours, theirs = fake_x.add_post("Frage?", likes=2), fake_x.add_post("Frage?", by=kunde_b, likes=5)
    body = tweepy_client(fake_x, "token-b").get_tweets([ours.id, theirs.id], expansions=["author_id"],
                                                       tweet_fields=["public_metrics"], user_auth=True)
    assert [(p["author_id"], p["public_metrics"]["like_count"]) for p in body["data"]] == [("4242", 2), ("5151", 5)]
    assert [(u["username"], u["public_metrics"]["followers_count"]) for u in body["includes"]["users"]] == \
        [("spitzfeder", 500), ("kunde_b", 80)]


def test_a_duplicate_is_refused_within_one_account_only(fake_x, kunde_b):
    b = tweepy_client(fake_x, "token-b")
    b.create_tweet(text="Warum erst jetzt?", user_auth=True)
    with pytest.raises(tweepy.Forbidden):
        b.create_tweet(text="Warum erst jetzt?", user_auth=True)
    tweepy_client(fake_x, ACCESS_TOKEN).create_tweet(text="Warum erst jetzt?", user_auth=True)


@pytest.mark.parametrize("access_token, api_key", [
    ("token-unbekannt", API_KEY),  # nobody's token
    ("token-b", "andere-app"),  # a known token, signed with another app's key
])
def test_an_unknown_token_is_unauthorized(fake_x, kunde_b, access_token, api_key):
    stranger = tweepy_client(fake_x, access_token, api_key=api_key)
    with pytest.raises(tweepy.Unauthorized):
        stranger.get_me(user_auth=True)
    with pytest.raises(tweepy.Unauthorized):
        stranger.create_tweet(text="Hallo?", user_auth=True)
    assert not kunde_b.posts and not fake_x.posts and not kunde_b.requests


def test_app_only_calls_are_refused(fake_x):
    """Spitzfeder signs every call with user context; a bearer token alone names no account."""
    app_only = tweepy.Client(bearer_token="AAAA-app-only", return_type=dict)
    app_only.session = _ToFake(fake_x.base_url)
    with pytest.raises(tweepy.Unauthorized):
        app_only.get_users_tweets(fake_x.default.user_id)


def test_faults_and_the_daily_limit_belong_to_one_account(fake_x, clock):
    c = fake_x.add_account("token-c", user_id="6161", username="kunde_c", daily_post_limit=1)
    standard, client_c = tweepy_client(fake_x, ACCESS_TOKEN), tweepy_client(fake_x, "token-c")
    c.fail("GET /2/users/me", 503, "<html>Over capacity</html>")
    assert standard.get_me(user_auth=True)["data"]["id"] == "4242"  # the default account is not affected
    with pytest.raises(tweepy.TwitterServerError):
        client_c.get_me(user_auth=True)
    client_c.create_tweet(text="Eine Frage?", user_auth=True)
    with pytest.raises(tweepy.TooManyRequests) as caught:
        client_c.create_tweet(text="Noch eine Frage?", user_auth=True)
    assert caught.value.response.headers["x-user-limit-24hour-remaining"] == "0"
    standard.create_tweet(text="Noch eine Frage?", user_auth=True)
    clock.advance(24 * 3600)  # the window has moved on
    client_c.create_tweet(text="Noch eine Frage?", user_auth=True)
    assert [p.text for p in fake_x.posts_of("kunde_c")] == ["Eine Frage?", "Noch eine Frage?"]


async def test_two_publishers_post_for_their_own_accounts(fake_x, kunde_b):
    def publisher(access_token: str) -> XPublisher:
        return XPublisher(XClient(api_key=API_KEY, api_secret="secret", access_token=access_token,
                                  access_token_secret="token-secret", base_url=fake_x.base_url,
                                  tz=ZoneInfo("Europe/Berlin")))

    ours, theirs = await publisher(ACCESS_TOKEN).publish("Wer zahlt?"), await publisher("token-b").publish("Wer?")
    assert ours.url.startswith("https://x.com/spitzfeder/status/") and ours.followers == 500
    assert theirs.url == f"https://x.com/kunde_b/status/{theirs.post_id}" and theirs.followers == 80
    assert [p.text for p in fake_x.posts_of("kunde_b")] == ["Wer?"]
    with pytest.raises(XError) as caught:
        await publisher("token-weg").publish("Wer noch?")
    assert "401" in caught.value.user_message


def test_an_account_is_registered_once(fake_x, kunde_b):
    with pytest.raises(ValueError):
        fake_x.add_account("token-b2", user_id="9999", username="kunde_b")
    with pytest.raises(KeyError):
        fake_x.posts_of("niemand")
