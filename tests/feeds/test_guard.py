"""The SSRF guard refuses every spelling of a non-public address and non-web schemes."""

from __future__ import annotations

import socket

import pytest

from bot.errors import BadInput, BlockedAddress
from bot.feeds.guard import GuardedResolver, check_url, is_public_address
from tests.fakes.feed_server import MappedResolver


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
        "2001:db8::1",  # documentation
        "not an address",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
        "http://2130706433/",  # decimal 127.0.0.1
        "http://0x7f000001/",  # hex
        "http://0177.0.0.1/",  # octal
        "http://127.1/",  # short form
        "http://0x7f.1/",
        "http://localhost/",
        "http://printer.localhost/",
        "https://user:pw@10.0.0.1/feed",
    ],
)
def test_check_url_refuses_non_public_literal_hosts(url: str) -> None:
    with pytest.raises(BlockedAddress):
        check_url(url, user_supplied=True)
    with pytest.raises(BlockedAddress):  # the operator's URLs are guarded the same way
        check_url(url, user_supplied=False)


def test_odd_spellings_are_read_as_the_address_they_mean() -> None:
    with pytest.raises(BlockedAddress, match=r"127\.0\.0\.1"):
        check_url("http://2130706433/", user_supplied=True)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/feed",
        "feed://example.com/rss",
        "/etc/hostname",
        "gopher://example.com/",
        "javascript:alert(1)",
        "http:///nohost",
    ],
)
def test_users_may_only_give_web_urls(url: str) -> None:
    with pytest.raises(BadInput):
        check_url(url, user_supplied=True)


def test_a_url_without_scheme_is_refused_with_the_fix() -> None:
    with pytest.raises(BadInput, match=r"https://example\.com/feed\.xml"):
        check_url("example.com/feed.xml", user_supplied=True)


@pytest.mark.parametrize("url", ["file:///srv/seeds/harbour.xml", "seeds/harbour.xml"])
def test_the_operator_may_name_local_files(url: str) -> None:
    check_url(url, user_supplied=False)


def test_credentials_never_appear_in_refusals() -> None:
    with pytest.raises(BlockedAddress) as refused:
        check_url("http://admin:hunter2@192.168.0.1/feed", user_supplied=True)
    assert "hunter2" not in str(refused.value)
    assert "admin" not in str(refused.value)


def test_public_hosts_pass_and_loopback_passes_when_allowed() -> None:
    check_url("https://news.example.org/rss.xml", user_supplied=True)
    check_url("http://127.0.0.1:9000/feed", user_supplied=True, allow_private=True)


def test_invalid_numeric_host_is_refused() -> None:
    with pytest.raises(BadInput):
        check_url("http://999.1.1.1/", user_supplied=True)


async def test_resolver_drops_private_answers_and_keeps_public_ones() -> None:
    inner = MappedResolver({"mixed.test": ["127.0.0.1", "93.184.215.14", "10.0.0.2"]})
    answers = await GuardedResolver(inner).resolve("mixed.test", 80, socket.AF_INET)
    assert [a["host"] for a in answers] == ["93.184.215.14"]


async def test_resolver_refuses_a_name_with_only_private_answers() -> None:
    inner = MappedResolver({"intranet.test": ["10.0.0.5", "::ffff:127.0.0.1"]})
    with pytest.raises(BlockedAddress, match=r"intranet\.test"):
        await GuardedResolver(inner).resolve("intranet.test", 80, socket.AF_INET)


def test_a_malformed_url_is_bad_input_without_credentials() -> None:
    with pytest.raises(BadInput, match="not a valid URL") as refused:
        check_url("http://user:pw@[::1/feed", user_supplied=True)
    assert "pw" not in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://reader:Pw7/Qx9@host.example/feed",  # the parser takes "Pw7" for a port
        "https://reader:Pw7#Qx9@host.example/feed",
        "https://reader:Pw7?Qx9@host.example/feed",
        "https://:Pw7/Qx9@host.example/feed",
    ],
)
def test_a_password_that_breaks_the_parse_is_not_repeated(url: str) -> None:
    # The refusal is posted in the channel where the URL was typed, and logged.
    with pytest.raises(BadInput, match="not a valid URL") as refused:
        check_url(url, user_supplied=True)
    assert "Pw7" not in str(refused.value) and "Qx9" not in str(refused.value)
    assert "host.example/feed" in str(refused.value)
