"""Article links as Discord takes them: an embed `url` that is a valid URI, masked links that
stay one link, and a Sources line of whole links.

Discord's API schema declares an embed's `url` as `format: uri` (RFC 3986), and a feed link is
not always one: `?filter[tag]=x` holds brackets, which a URI allows only around an IPv6 host.
Whatever a URI may not hold raw is percent-encoded; a link that already is a valid URI is
kept byte for byte.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from adapters.discord_bot.text import fit
from bot.models import Source

LONGEST_LINK_URL = 600  # longer URLs are named, not linked, so one link never eats the budget

# RFC 3986, appendix B: splits any string into scheme, authority, path, query and fragment.
URI_PARTS = re.compile(r"([^:/?#]+):(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)
STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")  # a "%" that starts no %XX escape
# What each part may hold besides letters, digits, "-._~" and %XX escapes (RFC 3986, 3.2-3.5).
SUB_DELIMS = "!$&'()*+,;="
IN_USERINFO = SUB_DELIMS + ":"
IN_HOST = SUB_DELIMS + ":"  # ":" before the port
IN_PATH = SUB_DELIMS + ":@/"
IN_QUERY = IN_PATH + "?"  # the fragment allows the same


def _encode(part: str, allowed: str) -> str:
    """`part` with every character it may not hold raw percent-encoded (as UTF-8)."""
    return quote(STRAY_PERCENT.sub("%25", part), safe=allowed + "%", errors="replace")


def _encode_authority(authority: str) -> str:
    userinfo, at, host = authority.rpartition("@")
    if host.startswith("[") and "]" in host:
        literal, _, rest = host[1:].partition("]")
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            pass
        else:  # brackets are the URI's own around an IPv6 address: keep them
            return _encode(userinfo, IN_USERINFO) + at + f"[{literal}]" + _encode(rest, IN_HOST)
    return _encode(userinfo, IN_USERINFO) + at + _encode(host, IN_HOST)


def as_uri(url: str) -> str | None:
    """An http(s) `url` as a valid RFC 3986 URI (unchanged when it already is one), or None
    when it must not be linked (another scheme, or too long to show)."""
    if not url.startswith(("https://", "http://")):
        return None
    parts = URI_PARTS.fullmatch(url)
    if parts is None:
        return None
    scheme, authority, path, query, fragment = parts.groups()
    uri = f"{scheme}://{_encode_authority(authority or '')}{_encode(path, IN_PATH)}"
    if query is not None:
        uri += "?" + _encode(query, IN_QUERY)
    if fragment is not None:
        uri += "#" + _encode(fragment, IN_QUERY)
    return uri if len(uri) <= LONGEST_LINK_URL else None


def safe_link_url(url: str) -> str | None:
    """The URL made safe inside `[name](url)`, or None when it must not be linked."""
    uri = as_uri(url)
    # A URI may hold parentheses, but one would end the markdown link early.
    return uri.replace("(", "%28").replace(")", "%29") if uri else None


def source_link(source: Source) -> str:
    """One source as a masked link to its article; the outlet name is escaped."""
    # Brackets would end the link text early; parentheses read the same and are harmless.
    plain = (source.name or "source").replace("[", "(").replace("]", ")")
    if "://" in plain:  # link text that looks like another address misleads: name the host
        try:
            plain = urlsplit(source.url).hostname or "source"
        except ValueError:  # an unparseable host: the generic name will do
            plain = "source"
    name = fit(plain, 80)
    url = safe_link_url(source.url)
    return f"[{name}]({url})" if url else name


def join_links(links: Sequence[str], budget: int, *, label: str = "Sources: ") -> str:
    """Whole links joined within `budget`; the ones that do not fit are counted, not cut."""
    shown: list[str] = []
    used = len(label)
    for index, link in enumerate(links):
        rest = len(links) - index - 1
        tail = len(f" and {rest} more") if rest else 0
        if used + len(link) + 3 + tail > budget:
            break
        shown.append(link)
        used += len(link) + 3
    if not shown:
        return ""
    hidden = len(links) - len(shown)
    text = label + " · ".join(shown)
    return text + (f" and {hidden} more" if hidden else "")
