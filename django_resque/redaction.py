"""Passwords kept out of messages, log lines, command output, checks and pages.

Every form redis-py (and our sentinel and cluster URLs) accepts a password in:
userinfo (``redis://user:pw@h``, ``redis://:pw@h``, ``unix://:pw@/run/redis.sock``,
``redis+sentinel://:pw@h1,h2/svc``), a query parameter (``?password=pw``,
``&sentinel_password=pw``), and a value that is not a URL at all (a wrong scheme,
``pw@host``). Masking never raises, whatever the string.
"""

from __future__ import annotations

import re

MASK = "***"

# A query parameter whose name says it is a secret: password, sentinel_password, auth...
_SECRET_PARAM = re.compile(r"([?&;](?:[^=&;#\s]*(?:password|passwd|pwd|secret|token)|auth)=)[^&;#\s]*", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def mask_url(url: object) -> str:
    """``url`` with its password (and any userinfo without one) replaced by ``***``."""
    text = _SECRET_PARAM.sub(r"\1" + MASK, str(url))
    scheme = _SCHEME.match(text)
    start = scheme.end() if scheme else 0
    at = text.rfind("@", start)
    if at < 0:
        return text
    user, colon, _ = text[start:at].partition(":")
    userinfo = f"{user}:{MASK}" if colon and "/" not in user else MASK
    return text[:start] + userinfo + text[at:]


def mask_in_text(text: str) -> str:
    """``text`` with every URL and every secret query parameter in it masked."""
    text = _SECRET_PARAM.sub(r"\1" + MASK, text)
    return _URL_IN_TEXT.sub(lambda match: mask_url(match.group(0)), text)
