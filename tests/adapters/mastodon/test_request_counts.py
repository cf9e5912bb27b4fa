"""What one tracked post costs on Mastodon in requests, counted at the fake instance: posting with its source
reply, a snapshot per METRICS_SCHEDULE step, a reblogger read per AMPLIFIER_SCHEDULE step (when reblogs grew)."""

from bot.adapters.mastodon import build_mastodon
from bot.core.posting.ports import PostKey
from bot.core.timespec import parse_schedule
from bot.settings import Settings
from tests.fakes.mastodon_server import TOKEN, account


async def test_requests_per_tracked_post_over_seven_days(fake_mastodon, clock):
    settings = Settings(mastodon_base_url=fake_mastodon.base_url, mastodon_access_token=TOKEN)
    adapters = build_mastodon(settings)
    published = await adapters.publisher.publish("Wer zahlt?", key=PostKey(1, clock.now()),
                                                 source_line="Quelle: https://example.org/a")
    posting = len(fake_mastodon.requests)

    snapshots = parse_schedule(settings.metrics_schedule)
    amplifier_steps = parse_schedule(settings.amplifier_schedule)
    fake_mastodon.reblogged_by[published.post_id] = [account(str(n + 10), f"u{n}") for n in range(30)]
    for _ in snapshots:
        await adapters.metrics.lookup([published.post_id])
    for _ in amplifier_steps:
        await adapters.amplifiers.reposters(published.post_id, max_pages=settings.amplifier_max_pages)
    tracking = len(fake_mastodon.requests) - posting

    assert posting == 3  # the account (followers at posting time), the status, the source reply
    assert tracking == len(snapshots) + len(amplifier_steps) == 5 + 3  # default schedules: 1h…7d and 6h, 24h, 7d
    assert {r.path for r in fake_mastodon.requests} == {
        "/api/v1/accounts/verify_credentials", "/api/v1/statuses", f"/api/v1/statuses/{published.post_id}",
        f"/api/v1/statuses/{published.post_id}/reblogged_by"}  # no version probe, no instance read
