"""SSRF guard: which URLs may be fetched and which addresses may be connected to.

Two layers, because aiohttp asks a resolver only about host NAMES:
- `check_url` runs before every request hop: scheme, host syntax and any literal IP host
  (in every spelling libc accepts: `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`).
- `GuardedResolver` wraps the real resolver and drops every non-public address it returns,
  so the address that was checked is exactly the address aiohttp connects to (no window
  for DNS rebinding between a check and the connection).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from aiohttp import DefaultResolver
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.errors import BadInput, BlockedAddress
from bot.feeds.urls import display_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Which addresses count as public. Tests and benchmarks pass their own, so that a loopback
# address can stand in for an internet host while 127.0.0.1 stays forbidden.
AddressPolicy = Callable[[IPAddress], bool]

WEB_SCHEMES = frozenset({"http", "https"})
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: str | IPAddress) -> bool:
    """True only for a globally routable unicast address (IPv4-mapped IPv6 unmapped first)."""
    try:
        address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
        if address.ipv4_mapped is not None:
            return True
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _looks_numeric(label: str) -> bool:
    label = label.lower()
    if label.startswith("0x"):
        return all(c in "0123456789abcdef" for c in label[2:])
    return label.isdigit()


def literal_ip(host: str) -> IPAddress | None:
    """The address a literal-IP host means, in any spelling libc would connect to.

    Returns None for a host name. Raises BadInput for a host that looks numeric but is not
    a valid address (e.g. `999.1.1.1`), since resolvers disagree about such names.
    """
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    last_label = host.rsplit(".", 1)[-1]
    if not host or not _looks_numeric(last_label):
        return None
    try:
        # inet_aton reads the legacy forms (decimal, hex, octal, 2- and 3-part) exactly as
        # the connect path would.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        raise BadInput(f"the host {host!r} is not a valid IP address or name.") from None


def _check_host(host: str, shown: str, allow_private: bool, is_public: AddressPolicy) -> None:
    address = literal_ip(host)
    if allow_private:
        return
    if address is not None and not is_public(address):
        raise BlockedAddress(
            f"{shown} points at a private, local or reserved address ({address}); "
            "only public addresses can be fetched."
        )
    name = host.lower().rstrip(".")
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        raise BlockedAddress(
            f"{shown} points at this machine; only public addresses can be fetched."
        )


def check_url(
    url: str,
    *,
    user_supplied: bool,
    allow_private: bool = False,
    is_public: AddressPolicy = is_public_address,
) -> None:
    """Refuse a URL that must not be fetched, with one clear sentence.

    Users may give only http(s) URLs; the operator (config, seeds, CLI) may also give local
    files. Literal IP hosts must be public unless `allow_private`. Host names are checked at
    connection time by `GuardedResolver`.
    """
    shown = display_url(url.strip())
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise BadInput(f"{shown} is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES:
        is_file = scheme == "file" or (not scheme and not parts.netloc)
        if is_file and not user_supplied:
            return
        if is_file and not scheme and not url.strip().startswith(("/", ".", "~")):
            raise BadInput(f"{shown} has no scheme; give a full URL such as https://{shown}.")
        if is_file:
            raise BadInput(
                f"{shown} is a local file; feeds from chat must be http:// or https:// URLs."
            )
        raise BadInput(
            f"{shown} uses the {scheme}:// scheme; "
            "only http:// and https:// feed URLs can be fetched."
        )
    try:
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise BadInput(f"{shown} is not a valid URL (bad host or port).") from None
    if not host:
        raise BadInput(
            f"{shown} has no host name; give a full URL such as https://example.com/feed.xml."
        )
    _check_host(host, shown, allow_private, is_public)


def _public_answer(host: str, is_public: AddressPolicy) -> bool:
    try:
        return is_public(ipaddress.ip_address(host))
    except ValueError:
        return False


class GuardedResolver(AbstractResolver):
    """A resolver that returns only public addresses, so nothing private is ever connected to."""

    def __init__(
        self,
        inner: AbstractResolver | None = None,
        *,
        allow_private: bool = False,
        is_public: AddressPolicy = is_public_address,
    ) -> None:
        self._inner = inner if inner is not None else DefaultResolver()
        self._allow_private = allow_private
        self._is_public = is_public

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        if self._allow_private:
            return answers
        public = [a for a in answers if _public_answer(a["host"], self._is_public)]
        if not public:
            raise BlockedAddress(
                f"the host {host} resolves only to private, local or reserved addresses; "
                "only public addresses can be fetched."
            )
        return public

    async def close(self) -> None:
        await self._inner.close()
