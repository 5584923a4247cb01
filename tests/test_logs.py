"""No secret reaches a log line or a traceback, even at DEBUG."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import redact, setup_logging

DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"
OPENAI_KEY = "sk-proj-Abc123Def456Ghi789Jkl"
SLACK_TOKEN = "xoxb-1234-5678-AbCdEfGhIjKl"
APP_TOKEN = "xapp-1-A0123-456-abcdef"
CONFIGURED = "hunter2-very-secret-value"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = setup_logging("DEBUG", secrets=[CONFIGURED], stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_debug_lines_and_tracebacks_carry_no_secret(log_output: io.StringIO) -> None:
    log = logging.getLogger("newsbot.test")
    log.debug("polling %s", "https://reader:pa55word@feeds.example/private.xml")
    log.debug("headers: %r", {"Authorization": f"Bearer {OPENAI_KEY}", "Accept": "*/*"})
    log.info("Authorization: Bot %s", DISCORD_TOKEN)
    log.info("slack says hi with %s and %s", SLACK_TOKEN, APP_TOKEN)
    log.warning("configured secret %s leaked", CONFIGURED)
    log.debug("GET https://api.example/v1?api_key=abc123secret&page=2")
    try:
        raise RuntimeError(f"call failed with key {OPENAI_KEY} for token {DISCORD_TOKEN}")
    except RuntimeError:
        log.exception("LLM call to https://u:p4ss@llm.example/v1 failed")

    output = log_output.getvalue()
    for secret in (
        "pa55word",
        "reader:",
        OPENAI_KEY,
        "Abc123Def456",
        DISCORD_TOKEN,
        SLACK_TOKEN,
        APP_TOKEN,
        CONFIGURED,
        "abc123secret",
        "p4ss",
    ):
        assert secret not in output, secret
    # What is left is still useful: hosts, header names, the traceback itself.
    assert "feeds.example/private.xml" in output
    assert "Traceback (most recent call last)" in output
    assert "RuntimeError: call failed with key sk-***" in output
    assert "page=2" in output


def test_ordinary_text_is_left_alone() -> None:
    text = "Polled https://news.example/feed.xml: 12 new, 3 unchanged (sk = 4)."
    assert redact(text) == text


def test_calling_setup_twice_keeps_one_handler(log_output: io.StringIO) -> None:
    setup_logging("DEBUG", stream=log_output)
    logging.getLogger("newsbot.test").info("once")
    assert log_output.getvalue().count("once") == 1
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler).__name__ == "_NewsbotHandler":
            root.removeHandler(handler)
