"""The Slack Poster against the fake Slack: digests within limits, found again after a crash,
429s waited out without duplicates, refusals reported clearly, posts paced per channel."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

import pytest

from adapters.slack_bot import ChannelPacer, SlackPoster, make_web_client
from adapters.slack_bot.install import SingleWorkspaceTokens
from bot.channels.delivery import PostError, PostResult
from bot.models import ChannelRef
from tests.adapters.slack.conftest import slack_settings
from tests.adapters.slack.digests import digest
from tests.fakes.fake_slack import FakeSlack, check_message

WHERE = ChannelRef("slack", "T-ONE", "C-NEWS")


def make_poster(fake: FakeSlack, *, interval_s: float = 0.0) -> SlackPoster:
    client = make_web_client(slack_settings(fake), token=None)
    return SlackPoster(client, SingleWorkspaceTokens("xoxb-one"), ChannelPacer(interval_s))


async def test_long_digest_is_posted_as_several_accepted_messages(slack: FakeSlack) -> None:
    result = await make_poster(slack).post_digest(WHERE, digest(60), idempotency_key="k-60")
    posts = slack.posts("C-NEWS")
    assert len(posts) >= 3
    first, *later = (post["ts"] for post in posts)
    assert result == PostResult(first, thread_id=first, part_ids=tuple(later))
    assert not [c for c in slack.calls if c.error]  # Slack refused nothing
    for number, post in enumerate(posts, start=1):
        assert check_message(post) is None
        assert post["unfurl_links"] is False and post["unfurl_media"] is False
        payload = post["metadata"]["event_payload"]
        assert payload == {"key": "k-60", "part": number, "parts": len(posts)}
        assert post["metadata"]["event_type"] == "newsbot_digest"
        assert post["text"]  # notification fallback


async def test_find_posted_after_a_crash_finds_the_digest(slack: FakeSlack) -> None:
    posted = await make_poster(slack).post_digest(WHERE, digest(2), idempotency_key="day-1")
    restarted = make_poster(slack)  # a new process: nothing in memory
    assert await restarted.find_posted(WHERE, "day-1") == posted
    assert await restarted.find_posted(WHERE, "day-2") is None
    history = slack.calls_to("conversations.history")
    assert history and all(c.args["include_all_metadata"] in ("1", "true") for c in history)


async def test_half_posted_digest_is_completed_without_duplicates(slack: FakeSlack) -> None:
    slack.fail_once("chat.postMessage", "internal_error", after=2)
    poster = make_poster(slack)
    with pytest.raises(PostError) as error:
        await poster.post_digest(WHERE, digest(60), idempotency_key="k-half")
    assert error.value.retryable
    assert len(slack.posts("C-NEWS")) == 2
    retry = make_poster(slack)  # the outbox retries from a fresh process
    assert await retry.find_posted(WHERE, "k-half") is None  # incomplete: not done yet
    result = await retry.post_digest(WHERE, digest(60), idempotency_key="k-half")
    posts = slack.posts("C-NEWS")
    parts = [p["metadata"]["event_payload"]["part"] for p in posts]
    assert parts == list(range(1, len(posts) + 1))  # every part exactly once, in order
    # The parts posted before the crash and by the retry are all reported to the core.
    assert result.message_id == posts[0]["ts"]
    assert result.part_ids == tuple(p["ts"] for p in posts[1:])
    assert await make_poster(slack).find_posted(WHERE, "k-half") == result


async def test_429_is_waited_out_and_posts_exactly_once(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    started = time.monotonic()
    await make_poster(slack).post_digest(WHERE, digest(1), idempotency_key="k-429")
    assert time.monotonic() - started >= 1.0  # Retry-After honoured
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.posts("C-NEWS")) == 1


@pytest.mark.parametrize("code", ["not_in_channel", "channel_not_found"])
async def test_channel_refusal_is_final_and_says_what_to_do(
    slack: FakeSlack, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    (slack.not_in_channel if code == "not_in_channel" else slack.missing_channels).add("C-NEWS")
    with caplog.at_level(logging.ERROR), pytest.raises(PostError) as error:
        await make_poster(slack).post_digest(WHERE, digest(1), idempotency_key="k-x")
    assert error.value.retryable is False
    assert code in str(error.value) and "invite newsbot" in str(error.value)
    # The outbox logs the failure once, with the channel (see test_scenarios); not here too.
    assert not caplog.records


async def test_posts_to_one_channel_are_paced(slack: FakeSlack) -> None:
    poster = make_poster(slack, interval_s=0.5)
    other = ChannelRef("slack", "T-ONE", "C-OTHER")
    for where in (WHERE, WHERE, other, WHERE):
        await poster.notify(where, "tick")
    calls = slack.calls_to("chat.postMessage")
    same = [c.at for c in calls if c.args["channel"] == "C-NEWS"]
    assert all(b - a >= 0.49 for a, b in itertools.pairwise(same))
    other_at = next(c.at for c in calls if c.args["channel"] == "C-OTHER")
    assert other_at - same[1] < 0.4  # another channel does not wait for this one


async def test_notice_text_is_escaped(slack: FakeSlack) -> None:
    await make_poster(slack).notify(WHERE, "Feed <!channel> & <https://x.example|y> disabled")
    (post,) = slack.posts("C-NEWS")
    assert "<!channel>" not in post["text"] and "<!channel>" not in str(post["blocks"])
    assert "&lt;!channel&gt; &amp; &lt;https://x.example|y&gt;" in post["text"]


async def test_post_whose_answer_is_lost_is_not_resent_but_found(slack: FakeSlack) -> None:
    slack.drop_after_accept("chat.postMessage")
    with pytest.raises(PostError) as error:
        await make_poster(slack).post_digest(WHERE, digest(1), idempotency_key="k-lost")
    assert error.value.retryable
    assert len(slack.calls_to("chat.postMessage")) == 1  # no blind retry
    (post,) = slack.posts("C-NEWS")  # yet Slack did post it
    found = await make_poster(slack).find_posted(WHERE, "k-lost")
    assert found == PostResult(message_id=post["ts"], thread_id=post["ts"])


async def test_other_calls_are_retried_when_the_connection_drops(slack: FakeSlack) -> None:
    slack.drop_after_accept("conversations.history")
    assert await make_poster(slack).find_posted(WHERE, "k-none") is None
    assert len(slack.calls_to("conversations.history")) == 2


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (503, "<html>Service Unavailable</html>", "text/html"),
        (500, '{"ok": false, "error": "internal_error"}', "application/json"),
        (502, "{not json", "application/json"),
    ],
)
async def test_server_errors_are_retryable_post_errors(
    slack: FakeSlack, status: int, body: str, content_type: str
) -> None:
    slack.http_error("chat.postMessage", status=status, body=body, content_type=content_type)
    poster = make_poster(slack)
    with pytest.raises(PostError) as error:
        await poster.notify(WHERE, "first try")
    assert error.value.retryable
    assert slack.posts("C-NEWS") == []
    await poster.notify(WHERE, "second try")  # the next attempt goes through, once
    assert len(slack.posts("C-NEWS")) == 1


async def test_429_beyond_the_retries_reports_slacks_wait(slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", times=2, retry_after=0)  # waited out twice
    slack.rate_limit("chat.postMessage", times=1, retry_after=30)  # then: come back in 30 s
    with pytest.raises(PostError) as error:
        await make_poster(slack).notify(WHERE, "busy")
    assert error.value.retryable and error.value.retry_after_s == 30
    assert len(slack.calls_to("chat.postMessage")) == 3
    assert slack.posts("C-NEWS") == []


async def test_a_split_digest_reports_every_part_so_replies_under_any_find_it(
    slack: FakeSlack,
) -> None:
    poster = make_poster(slack)
    result = await poster.post_digest(WHERE, digest(60), idempotency_key="k-threads")
    first, *later = slack.posts("C-NEWS")
    assert later, "a 60-story digest is split over several messages"
    assert result.thread_id == result.message_id == first["ts"]
    assert result.part_ids == tuple(p["ts"] for p in later)
    # After a crash, the post found in Slack's history reports the same parts.
    found = await make_poster(slack).find_posted(WHERE, "k-threads")
    assert found == result


async def test_a_long_retry_after_goes_back_to_the_outbox_instead_of_stalling(
    slack: FakeSlack,
) -> None:
    # Waiting out "Retry-After: 3600" inside the call would hold the delivery worker (and
    # the channel's pacer) for an hour; the outbox can schedule the retry instead.
    slack.rate_limit("chat.postMessage", times=1, retry_after=3600)
    started = time.monotonic()
    with pytest.raises(PostError) as error:
        await asyncio.wait_for(
            make_poster(slack).post_digest(WHERE, digest(1), idempotency_key="k-long"), 10
        )
    assert time.monotonic() - started < 5
    assert error.value.retryable and error.value.retry_after_s == 3600
    assert slack.posts("C-NEWS") == []


async def test_a_notice_naming_a_feed_with_a_huge_title_still_reaches_the_channel(
    slack: FakeSlack,
) -> None:
    # The feed chooses its title, and "feed X was disabled" names it: a 5000-character
    # title must not get the notice refused (a section holds at most 3000 characters).
    title = "Gazette & " + "word " * 1000
    text = f"The feed {title} was disabled after repeated failures (timeout)."
    await make_poster(slack).notify(WHERE, text)
    (post,) = slack.posts("C-NEWS")
    shown = " ".join(b["text"]["text"] for b in post["blocks"])
    assert shown.startswith("The feed Gazette &amp; word") and shown.endswith("(timeout).")
    assert " ".join(shown.split()) == " ".join(text.replace("&", "&amp;").split())


async def test_no_futile_notice_after_a_lookup_found_the_bot_removed(slack: FakeSlack) -> None:
    # After a restart the outbox first looks for an earlier attempt's post; when that lookup
    # finds newsbot removed from the channel, a notice there could not get through either.
    slack.not_in_channel.add("C-NEWS")
    poster = make_poster(slack)
    with pytest.raises(PostError) as error:
        await poster.find_posted(WHERE, "k-gone")
    assert not error.value.retryable
    await poster.notify(WHERE, "newsbot could not post its digest here.")
    assert slack.calls_to("chat.postMessage") == []
