"""Articles, deduplicated by canonical URL across every feed.

An article stored once may be carried by several feeds (`feed_articles`); inserting is
`INSERT ... ON CONFLICT DO NOTHING` on both dialects, so two pollers storing the same story
at the same moment neither fail nor duplicate it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Article
from bot.store.db import Database
from bot.store.schema import ArticleRow, FeedArticleRow, FeedRow

# Well under SQLite's bound-parameter limit even at 9 columns a row.
_CHUNK = 200

TimeField = Literal["published", "fetched"]


def article_from_row(row: ArticleRow, feed_url: str | None = "") -> Article:
    """The neutral `Article` for a stored row."""
    return Article(
        id=row.id,
        url=row.url,
        title=row.title,
        text=row.text,
        outlet=row.outlet,
        published=row.published_at,
        feed_url=feed_url or "",
        fetched=row.fetched_at,
    )


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def write_articles(
    session: AsyncSession,
    articles: Sequence[Article],
    *,
    feed_id: int | None,
    fetched_at: datetime,
    baseline: bool = False,
) -> list[Article]:
    """Store the articles not seen before (by canonical URL), link all of them to the feed.

    Runs in the caller's transaction; returns the articles that were new, in order.
    """
    unique: dict[str, Article] = {}
    for article in articles:
        unique.setdefault(article.url, article)
    if not unique:
        return []
    new_ids = await _insert_new(session, list(unique.values()), feed_id, fetched_at, baseline)
    if feed_id is not None:
        # An article already stored may carry another id (same URL, other entry id).
        linked = [a.id for a in unique.values() if a.id in new_ids]
        seen_before = [url for url, a in unique.items() if a.id not in new_ids]
        for chunk in _chunks(seen_before):
            query = select(ArticleRow.id).where(ArticleRow.url.in_(chunk))
            linked.extend((await session.scalars(query)).all())
        rows = [{"feed_id": feed_id, "article_id": article_id} for article_id in linked]
        if rows:
            await session.execute(
                _insert(session, FeedArticleRow.__table__).on_conflict_do_nothing(), rows
            )
    return [a for a in unique.values() if a.id in new_ids]


async def _insert_new(
    session: AsyncSession,
    articles: Sequence[Article],
    feed_id: int | None,
    fetched_at: datetime,
    baseline: bool,
) -> set[str]:
    values = [
        {
            "id": a.id,
            "url": a.url,
            "title": a.title,
            "text": a.text,
            "outlet": a.outlet,
            "feed_id": feed_id,
            "published_at": a.published,
            "fetched_at": a.fetched or fetched_at,
            "baseline": baseline,
        }
        for a in articles
    ]
    # No conflict target: a clash on either the id or the URL means "already stored".
    # Rows go as executemany parameters, not .values(rows): one cached statement instead
    # of compiling a new multi-row VALUES each time (half the CPU of a cold poll). On the
    # Table, not the ORM class: the ORM bulk path costs about 10% more CPU per row.
    statement = (
        _insert(session, ArticleRow.__table__)
        .on_conflict_do_nothing()
        .returning(ArticleRow.__table__.c.id)
    )
    return set((await session.scalars(statement, values)).all())


class ArticleStore:
    """Queries on `articles` and `feed_articles`; returns `Article`s, never ORM rows."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_many(
        self,
        articles: Sequence[Article],
        *,
        feed_id: int | None,
        fetched_at: datetime,
        baseline: bool = False,
    ) -> list[Article]:
        """Store the articles not seen before (by canonical URL) and link all to the feed.

        Returns the articles that were new, in the order given.
        """
        # A write transaction: on SQLite the search-index triggers read the FTS5 index
        # before writing it, and a deferred transaction that has read cannot wait for the
        # write lock (it would fail with "database is locked" beside another writer).
        async with self._db.write() as session:
            return await write_articles(
                session, articles, feed_id=feed_id, fetched_at=fetched_at, baseline=baseline
            )

    async def update_text(self, article_id: str, text: str) -> None:
        """Replace an article's text (full text fetched for a teaser-only feed)."""
        async with self._db.write() as session:  # the index is read, then written
            await session.execute(
                update(ArticleRow).where(ArticleRow.id == article_id).values(text=text)
            )

    def _select(self) -> Any:  # Select[ArticleRow, str | None]; its generics differ by version
        return select(ArticleRow, FeedRow.url).outerjoin(FeedRow, FeedRow.id == ArticleRow.feed_id)

    async def since(
        self,
        moment: datetime,
        *,
        feed_ids: Sequence[int] | None = None,
        include_baseline: bool = True,
        by: TimeField = "published",
        limit: int | None = None,
    ) -> list[Article]:
        """Articles published (or fetched, `by="fetched"`) at or after `moment`, newest first.

        `feed_ids` keeps articles carried by any of those feeds; `include_baseline=False`
        leaves out what a feed's first poll stored (old items a digest must not repeat).
        """
        column = ArticleRow.published_at if by == "published" else ArticleRow.fetched_at
        query = self._select().where(column >= moment)
        if feed_ids is not None:
            carried = select(FeedArticleRow.article_id).where(FeedArticleRow.feed_id.in_(feed_ids))
            query = query.where(ArticleRow.id.in_(carried))
        if not include_baseline:
            query = query.where(ArticleRow.baseline.is_(False))
        query = query.order_by(column.desc(), ArticleRow.id)
        if limit is not None:
            query = query.limit(limit)
        async with self._db.session() as session:
            rows = (await session.execute(query)).all()
        return [article_from_row(row, feed_url) for row, feed_url in rows]

    async def get(self, ids: Sequence[str]) -> list[Article]:
        """The stored articles with these ids, in the order asked (unknown ids skipped)."""
        found: dict[str, Article] = {}
        async with self._db.session() as session:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                rows = (await session.execute(self._select().where(ArticleRow.id.in_(chunk)))).all()
                found.update({row.id: article_from_row(row, url) for row, url in rows})
        return [found[i] for i in ids if i in found]

    async def feed_ids_of(self, article_id: str) -> list[int]:
        """Every feed that carried this article."""
        query = (
            select(FeedArticleRow.feed_id)
            .where(FeedArticleRow.article_id == article_id)
            .order_by(FeedArticleRow.feed_id)
        )
        async with self._db.session() as session:
            return list((await session.scalars(query)).all())

    async def count(self, *, feed_id: int | None = None) -> int:
        """How many articles are stored (carried by `feed_id`, when given)."""
        query = select(func.count()).select_from(ArticleRow)
        if feed_id is not None:
            query = (
                select(func.count())
                .select_from(FeedArticleRow)
                .where(FeedArticleRow.feed_id == feed_id)
            )
        async with self._db.session() as session:
            return int(await session.scalar(query) or 0)
