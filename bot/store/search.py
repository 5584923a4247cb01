"""Full-text search of the stored articles, ranked by the database (for `ask`).

The index is migration 0002's: an FTS5 table on SQLite (ranked by bm25()), a tsvector column
with a GIN index on PostgreSQL (ranked by ts_rank). Either way the title weighs more than
the text, and the words are OR'ed: an article holding only some of them is still a
candidate, and `ask` decides which candidates cover enough of the question.

Words never reach the database as query syntax. On SQLite each one is a quoted FTS5 string
(so `NEAR`, `*`, `-`, `:` or parentheses mean nothing special); on PostgreSQL each one goes
through plainto_tsquery, which has no operators at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import Any

from sqlalchemy import ColumnElement, column, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Article
from bot.store.articles import article_from_row
from bot.store.schema import ArticleRow

# What migration 0002 adds; schema.py does not model it (see tests/store/test_migrations.py).
SQLITE_INDEX_TABLE = "articles_fts"
POSTGRES_INDEX_COLUMN = "search_vector"
POSTGRES_INDEX = "ix_articles_search_vector"


def is_search_index(name: str | None) -> bool:
    """Whether a table, column or index is migration 0002's (FTS5 shadow tables included)."""
    if name is None:
        return False
    return name in (POSTGRES_INDEX_COLUMN, POSTGRES_INDEX) or name.startswith(SQLITE_INDEX_TABLE)


_TITLE_WEIGHT = 2.0  # SQLite bm25() column weights; PostgreSQL weighs title 'A', text 'B'
_TEXT_WEIGHT = 1.0


def fts5_query(words: Sequence[str]) -> str:
    """An FTS5 query matching any of `words`, each quoted so it is only ever a string."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in words if word.strip()]
    return " OR ".join(quoted)


async def search_articles(
    session: AsyncSession, words: Sequence[str], *, limit: int
) -> list[Article]:
    """Up to `limit` articles holding any of `words`, best-ranked first, newest on a tie."""
    words = [word for word in dict.fromkeys(words) if word.strip()]
    if not words or limit <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        query = _postgres_query(words, limit)
    else:
        query = _sqlite_query(words, limit)
    return [article_from_row(row) for row in (await session.scalars(query)).all()]


async def count_matches(session: AsyncSession, words: Sequence[str]) -> dict[str, int]:
    """How many articles hold each word (for choosing the words that narrow a search most)."""
    words = list(dict.fromkeys(words))
    searchable = [word for word in words if word.strip()]
    counts = dict.fromkeys(words, 0)
    if not searchable:
        return counts
    postgres = session.get_bind().dialect.name == "postgresql"
    # One round trip: a count per word as scalar subqueries of a single SELECT.
    per_word = [_count_query(word, postgres).scalar_subquery() for word in searchable]
    row = (await session.execute(select(*per_word))).one()
    counts.update({word: int(count or 0) for word, count in zip(searchable, row, strict=True)})
    return counts


def _count_query(word: str, postgres: bool) -> Any:
    if postgres:
        return select(func.count()).select_from(ArticleRow).where(_postgres_match([word]))
    index = table(SQLITE_INDEX_TABLE)
    return select(func.count()).select_from(index).where(_sqlite_match([word]))


def _sqlite_match(words: Sequence[str]) -> ColumnElement[Any]:
    return literal_column(SQLITE_INDEX_TABLE).op("MATCH")(fts5_query(words))


def _postgres_match(words: Sequence[str]) -> ColumnElement[Any]:
    return _postgres_vector().op("@@")(_postgres_words(words))


def _sqlite_query(words: Sequence[str], limit: int) -> Any:
    index = table(SQLITE_INDEX_TABLE, column("rowid"))
    match = _sqlite_match(words)
    # bm25() is lower for better matches. Ranked and cut inside the index first: joining
    # every match to its article before the cut costs as much again for common words.
    score = func.bm25(literal_column(SQLITE_INDEX_TABLE), _TITLE_WEIGHT, _TEXT_WEIGHT)
    best = (
        select(index.c.rowid, score.label("score"))
        .where(match)
        .order_by(score)
        .limit(limit)
        .subquery()
    )
    return (
        select(ArticleRow)
        .join_from(best, ArticleRow, literal_column("articles.rowid") == best.c.rowid)
        .order_by(best.c.score, ArticleRow.published_at.desc(), ArticleRow.id)
    )


def _postgres_words(words: Sequence[str]) -> ColumnElement[Any]:
    english: ColumnElement[Any] = literal_column("'english'::regconfig")
    # tsquery || tsquery is OR; a word that is only a stopword adds an empty query, ignored.
    queries: list[ColumnElement[Any]] = [func.plainto_tsquery(english, word) for word in words]
    return reduce(lambda left, right: left.op("||")(right), queries)


def _postgres_vector() -> ColumnElement[Any]:
    return literal_column(f"articles.{POSTGRES_INDEX_COLUMN}")


def _postgres_query(words: Sequence[str], limit: int) -> Any:
    query, vector = _postgres_words(words), _postgres_vector()
    return (
        select(ArticleRow)
        .where(vector.op("@@")(query))
        .order_by(func.ts_rank(vector, query).desc(), ArticleRow.published_at.desc(), ArticleRow.id)
        .limit(limit)
    )
