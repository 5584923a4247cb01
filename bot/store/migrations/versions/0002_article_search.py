"""Full-text search of articles (title and text) for `ask`, indexed by the database.

SQLite: an FTS5 table `articles_fts` with external content (it reads title and text back
from `articles`, so nothing is stored twice), kept in sync by triggers. Triggers rather
than the store's insert code because they see exactly the rows that change: the store
inserts with ON CONFLICT DO NOTHING (only the rows actually inserted fire), `update_text`
replaces a text, and a delete by hand or a future pruning job is covered too. The FTS rowid
is the article's rowid; VACUUM keeps those of a table with indexes, and `ask` re-checks
every candidate's own text, so even a stale entry could only cause a miss, never a wrong
answer (`INSERT INTO articles_fts(articles_fts) VALUES('rebuild')` repairs one).

PostgreSQL: a stored generated tsvector column (title weighted above text) with a GIN
index. Generated, so every insert and update keeps it right with no trigger; stored, so
ranking reads it instead of parsing each candidate's text again.

Both are filled for the rows already there: FTS5's 'rebuild', and PostgreSQL computes a
generated column for every existing row when it is added.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.exc import OperationalError

from bot.errors import ConfigError

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | None = None
depends_on: str | None = None

# Porter stems English ("repairs" finds "repair"); unicode61 folds case and accents.
_SQLITE_UPGRADE = [
    """
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, content='articles', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
    END
    """,
    """
    CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.rowid, old.title, old.text);
    END
    """,
    """
    CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.rowid, old.title, old.text);
        INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
    END
    """,
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]

_POSTGRES_UPGRADE = [
    """
    ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, text), 'B')
    ) STORED
    """,
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _require_fts5()
        statements = _SQLITE_UPGRADE
    else:
        statements = _POSTGRES_UPGRADE
    for statement in statements:
        op.execute(statement)


def _require_fts5() -> None:
    try:
        op.execute("CREATE VIRTUAL TABLE temp.newsbot_fts5_probe USING fts5(x)")
    except OperationalError as error:
        if 'no such module' not in str(error):
            raise
        raise ConfigError(
            "this SQLite was built without FTS5, which newsbot needs to search articles; "
            "use a Python whose sqlite3 module has FTS5, or PostgreSQL."
        ) from None
    op.execute("DROP TABLE temp.newsbot_fts5_probe")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in ('articles_fts_update', 'articles_fts_delete', 'articles_fts_insert'):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE articles_fts")
    else:
        op.execute("DROP INDEX ix_articles_search_vector")
        op.execute("ALTER TABLE articles DROP COLUMN search_vector")
