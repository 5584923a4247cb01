"""Fixtures of the operations tests: a fresh PostgreSQL database prepared for workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import postgres_url_or_skip
from tests.workers.procs import Cluster, cluster


@pytest.fixture
async def scale(tmp_path: Path) -> AsyncIterator[Cluster]:
    """A database of its own with the job queue (`newsbot db upgrade`), dropped afterwards."""
    async with cluster(postgres_url_or_skip(), tmp_path) as made:
        yield made
