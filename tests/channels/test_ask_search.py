"""`ask` searches the whole store by full text: old articles are found, odd questions are safe."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.ask import NOT_FOUND, ExtractiveAnswerer, answer_question
from bot.models import Article, Reply
from bot.store.articles import ArticleStore
from bot.store.db import Database
from tests.channels.helpers import utc

NOW = utc(2026, 4, 1, 10)

TOLL = Article(
    id="toll",
    url="https://harbour.example/toll",
    title="Lorries to pay a toll on the harbour bridge",
    text="Lorries will pay a toll of 12 euros to cross the harbour bridge from June, "
    "the port authority said.",
    outlet="Harbour Gazette",
    published=NOW - timedelta(days=700),
)


def bridge_news(n: int) -> Article:
    """A newer article that shares the question's commonest words but not what it asks."""
    return Article(
        id=f"b{n}",
        url=f"https://valley.example/bridge-{n}",
        title=f"Harbour bridge traffic update {n}",
        text=f"Traffic on the harbour bridge was slow on day {n} because of roadworks.",
        outlet="Valley Courier",
        published=NOW - timedelta(hours=n),
    )


async def ask(db: Database, question: str) -> Reply:
    return await answer_question(
        db, ExtractiveAnswerer(), question, channel_id=None, thread_id=None, now=NOW
    )


async def test_an_old_article_behind_many_newer_matches_is_found(db: Database) -> None:
    # 450 newer articles all hold "harbour" and "bridge": the old search only looked at the
    # 400 newest that held any of the question's words, so it never saw the toll story.
    newer = [bridge_news(n) for n in range(450)]
    await ArticleStore(db).add_many([TOLL, *newer], feed_id=None, fetched_at=NOW)
    reply = await ask(db, "What toll will lorries pay on the harbour bridge?")
    assert [c.url for c in reply.citations] == [TOLL.url]
    assert "12 euros" in reply.text


# Each holds FTS5 or tsquery syntax, yet its words are about the toll story.
ABOUT_THE_TOLL = [
    'toll "lorries',
    "toll NEAR lorries",
    "-harbour toll lorries",
    "title:toll lorries",
    "(toll OR) AND NOT lorries ^pay",
    "toll & lorries | !pay <-> bridge",
    "toll* lorries*",
]
# Syntax only, or words about nothing stored.
ABOUT_NOTHING = [
    "NEAR(chess championship, 2)",
    "toll'; DROP TABLE articles; --",
    '"""',
    "*",
    ":-()",
    "NEAR",
    "what is it about?",
]


async def test_hostile_questions_get_a_normal_answer(db: Database) -> None:
    await ArticleStore(db).add_many([TOLL, bridge_news(1)], feed_id=None, fetched_at=NOW)
    # Operators are words, not syntax: "-harbour" or "NOT" exclude nothing, "*" adds nothing.
    for question in ABOUT_THE_TOLL:
        reply = await ask(db, question)
        assert [c.url for c in reply.citations] == [TOLL.url], question
    for question in ABOUT_NOTHING:
        reply = await ask(db, question)
        assert reply.text == NOT_FOUND and reply.citations == (), question
    assert await ArticleStore(db).count() == 2


async def test_nothing_in_the_store_about_it_says_so(db: Database) -> None:
    await ArticleStore(db).add_many([TOLL], feed_id=None, fetched_at=NOW)
    reply = await ask(db, "Who won the chess championship?")
    assert reply.text == NOT_FOUND and reply.citations == ()
