"""Canonical URLs and the stable article ids derived from them.

The same story reached through a newsletter link, a social share and the feed itself must
end up as ONE article, so tracking parameters and fragments are removed and the remaining
query is put in a fixed order before hashing.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# Parameters that only say where a click came from; they never change the page served.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
        "s_cid",
        "cmpid",
        "ocid",
        "spm",
        "at_campaign",
        "at_medium",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "itm_", "__")

DEFAULT_PORTS = {"http": 80, "https": 443}
_LOGIN_TO_LAST_AT = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)\S*@")

# Query parameters that carry a credential (private feeds often put one there). Their values
# are masked wherever a URL is shown or logged, like a user:password; the URL itself is kept.
SECRET_QUERY_PARAMS = frozenset(
    {
        "token",
        "key",
        "api_key",
        "apikey",
        "access_token",
        "refresh_token",
        "auth",
        "auth_token",
        "authorization",
        "sig",
        "signature",
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "client_secret",
        "session",
        "sessionid",
        "credential",
    }
)
# ...and any name ending in one of these after a separator: private_token, x-amz-signature.
SECRET_QUERY_SUFFIXES = ("_token", "_key", "_secret", "_signature", "_password", "_credential")
SECRET_MASK = "***"  # noqa: S105 (the mask, not a secret)


def _is_tracking(key: str) -> bool:
    name = unquote_plus(key).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    # Work on the raw pieces so that the encoding of what is kept is never changed.
    pieces = [p for p in query.replace(";", "&").split("&") if p]
    kept = [p for p in pieces if not _is_tracking(p.split("=", 1)[0])]
    return "&".join(sorted(kept))


def _netloc(scheme: str, netloc: str) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        if end != -1:
            host, port = hostport[: end + 1], hostport[end + 2 :]
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    host = host.lower().rstrip(".")
    if port and port.isdigit() and DEFAULT_PORTS.get(scheme) == int(port):
        port = ""
    rebuilt = f"{host}:{port}" if port else host
    return f"{userinfo}@{rebuilt}" if userinfo else rebuilt


def canonical_url(url: str) -> str:
    """Return `url` in the form used to recognise the same article twice.

    Scheme and host are lowercased, a default port, the fragment and tracking parameters
    (utm_*, fbclid, gclid, mc_cid, ref, ...) are removed and the rest of the query is sorted.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket: keep it, minus the fragment
        return url.strip().split("#", 1)[0]
    scheme = parts.scheme.lower()
    if not parts.netloc:
        return urlunsplit((scheme, "", parts.path, _clean_query(parts.query), ""))
    netloc = _netloc(scheme, parts.netloc)
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def article_id(canonical: str) -> str:
    """A stable 32-character hex id for an article's canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def is_secret_param(name: str) -> bool:
    """True for a query parameter name that carries a credential (`token`, `api_key`...)."""
    key = unquote_plus(name).strip().lower().replace("-", "_").replace(".", "_")
    return key in SECRET_QUERY_PARAMS or key.endswith(SECRET_QUERY_SUFFIXES)


def _mask_query(query: str) -> str:
    # Piece by piece on the raw text: what is not a secret is shown exactly as given.
    pieces = re.split(r"([&;])", query)
    for index, piece in enumerate(pieces):
        name, sep, value = piece.partition("=")
        if sep and value and is_secret_param(name):
            pieces[index] = f"{name}={SECRET_MASK}"
    return "".join(pieces)


def display_url(url: str) -> str:
    """`url` without `user:password@` and with secret query values (`?token=`) masked,
    for messages and logs."""
    shown = _without_login(url)
    before, mark, rest = shown.partition("?")
    if not mark:
        return shown
    query, hash_mark, fragment = rest.partition("#")
    return f"{before}?{_mask_query(query)}{hash_mark}{fragment}"


def _without_login(url: str) -> str:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number
        readable = bool(parts.hostname) or not parts.netloc
    except ValueError:
        readable = False
    if not readable:
        # Often a password with an unencoded "/", "?" or "#": the parser then cannot say
        # where the login ends, so everything up to the last "@" goes.
        return _LOGIN_TO_LAST_AT.sub(r"\1", url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
