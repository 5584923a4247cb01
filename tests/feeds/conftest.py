"""Fixtures for feed tests: a real loopback feed server and fetch settings for it."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import pytest

from bot.config import FetchSettings
from bot.feeds.guard import IPAddress, is_public_address
from bot.feeds.parse import ParserPool
from tests.fakes.feed_server import FeedServer

# In these tests 127.0.0.2 plays an internet host; 127.0.0.1 stays what it is: this machine.
STAND_IN_PUBLIC = ipaddress.ip_address("127.0.0.2")


def public_or_stand_in(address: IPAddress) -> bool:
    """The real policy, except that 127.0.0.2 counts as a public address."""
    return address == STAND_IN_PUBLIC or is_public_address(address)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A feed server listening on 127.0.0.1 and 127.0.0.2 (same port)."""
    async with FeedServer(hosts=("127.0.0.1", "127.0.0.2")) as server:
        yield server


@pytest.fixture
def loopback_settings() -> FetchSettings:
    """Settings that let the fetcher reach the loopback server (short deadline)."""
    return FetchSettings(allow_private_addresses=True, timeout_s=5)


@pytest.fixture
def guarded_settings() -> FetchSettings:
    """The default guard (private addresses refused), short deadline."""
    return FetchSettings(timeout_s=5)


@pytest.fixture
async def parser() -> AsyncIterator[ParserPool]:
    """Feed parsing in this process (the pool's workers are tested in test_parse.py)."""
    async with ParserPool(in_process=True) as pool:
        yield pool
