"""Questions as people ask them: other word forms, the named company or speaker, and
follow-ups ("when will it ship?") that lean on the conversation."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.channels.ask import ExtractiveAnswerer, rank_articles
from bot.models import Caller, ChannelRef
from tests.channels.helpers import Clock, add_channel, add_feed_with_articles, news, tick_at, utc

ADMIN = Caller("u1", can_manage=True)


CHIPS = news(
    1,
    "Chipmaker trims its workforce",
    "Intel is cutting about 15,000 jobs, the company said on Thursday. "
    "The chipmaker reported a weak quarter.",
    "Tech Daily",
)
LAYOFFS = news(
    2,
    "Microsoft layoffs: 6,000 jobs go",
    "Microsoft said on Tuesday it would lay off 6,000 workers. "
    "The layoffs hit its gaming unit hardest. "
    "Apple, meanwhile, sold a record number of phones in China.",
    "Tech Daily",
)
INTERVIEW = news(
    3,
    "Tim Cook interview: unlocking the iPhone",
    "Blogger Jane Roe thinks the interview about unlocking the iPhone was a missed chance. "
    "In the interview, Cook said Apple would never build a back door to unlock the iPhone.",
    "Gadget Blog",
)
CONSOLE = news(
    4,
    "Valve announces a living-room console",
    "Valve announced a living-room console on Monday. The console starts shipping in March.",
    "Games Wire",
)
HANDHELD = news(
    5,
    "Nintendo unveils a new handheld",
    "Nintendo unveiled a new handheld on Monday. The handheld starts shipping in June.",
    "Games Wire",
)


async def test_other_word_forms_match() -> None:
    assert [r.article.id for r in rank_articles("What did Intel cut?", [CHIPS, LAYOFFS])] == [
        CHIPS.id
    ]
    answer = await ExtractiveAnswerer().answer("What did Intel cut?", [CHIPS])
    assert answer.found and "15,000 jobs" in answer.sentences[0].text


async def test_answers_leave_out_passages_about_someone_else() -> None:
    answer = await ExtractiveAnswerer().answer("What did Microsoft say about layoffs?", [LAYOFFS])
    text = " ".join(s.text for s in answer.sentences)
    assert "6,000 workers" in text and "Apple" not in text


async def test_the_named_speaker_saying_it_comes_first() -> None:
    answer = await ExtractiveAnswerer().answer(
        "What did Tim Cook say about unlocking the iPhone?", [INTERVIEW]
    )
    assert answer.sentences[0].text.startswith("In the interview, Cook said")


async def digest_of_two_launches(app: App, clock: Clock) -> tuple[ChannelRef, str]:
    channel_id, where = await add_channel(app.db, clock(), channel="games")
    await add_feed_with_articles(
        app.db, channel_id, [CONSOLE, HANDHELD], fetched_at=clock() + timedelta(hours=1)
    )
    poster = await tick_at(app, clock, channel_id, utc(2026, 4, 2, 8))
    return where, f"t-{poster.keys()[0]}"


async def test_a_follow_up_resolves_it_from_the_last_question(app: App, clock: Clock) -> None:
    where, thread = await digest_of_two_launches(app, clock)
    first = await app.commands.ask(where, ADMIN, "What did Valve announce?", thread_id=thread)
    assert "Valve" in first.text
    follow = await app.commands.ask(where, ADMIN, "When will it ship?", thread_id=thread)
    assert "March" in follow.text and "June" not in follow.text, follow.text
    other = await app.commands.ask(where, ADMIN, "What did Nintendo unveil?", thread_id=thread)
    assert "Nintendo" in other.text
    again = await app.commands.ask(where, ADMIN, "When does it ship?", thread_id=thread)
    assert "June" in again.text and "March" not in again.text, again.text


async def test_a_question_that_only_sounds_like_a_follow_up_is_still_answered(
    app: App, clock: Clock
) -> None:
    where, thread = await digest_of_two_launches(app, clock)
    first = await app.commands.ask(
        where, ADMIN, "What did Valve announce for the living room on Monday?", thread_id=thread
    )
    assert "Valve" in first.text
    other = await app.commands.ask(
        where, ADMIN, "when does that new handheld start shipping?", thread_id=thread
    )
    assert "June" in other.text, other.text
    cost = await app.commands.ask(where, ADMIN, "when will it start shipping?", thread_id=thread)
    assert "June" in cost.text and "March" not in cost.text, cost.text
