"""The catalog's Content-Security-Policy: what a page may load and which scripts may run.

Scripts run only from the site itself, plus the theme's own inline scripts, allowed by
their SHA-256 hash. Those hashes come from the theme rendered with nothing in it: no page
content, no page metadata, no navigation (page titles are contributor text). A script
that reaches a page any other way (a hand-written page, a README the sanitizer missed, a
title the theme prints unescaped) has no hash in the policy, so the browser refuses it;
only a byte-identical copy of one of the theme's own scripts would run, and that is the
theme's code. Images and fonts come from the site or `data:` URLs, styles from the
site's style sheets (the theme sets styles through the CSSOM, which needs no
'unsafe-inline'), and nothing loads from anywhere else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

# An inline script: no src, and a JavaScript type (a data block such as the theme's
# `<script id="__config" type="application/json">` never runs, so it needs no hash).
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]*)""", re.IGNORECASE)
_JAVASCRIPT_TYPES = {"", "module", "text/javascript", "application/javascript"}

_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'{hashes}",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",  # the theme's search runs in a web worker
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)


def inline_scripts(html: str) -> list[str]:
    """The text of every inline script of a page that a browser would run."""
    scripts = []
    for match in _SCRIPT.finditer(html):
        attributes, text = match[1], match[2]
        if _SRC.search(attributes):
            continue
        kind = _TYPE.search(attributes)
        if kind and kind[1].lower() not in _JAVASCRIPT_TYPES:
            continue
        scripts.append(text)
    return scripts


def script_hash(text: str) -> str:
    """The CSP source expression that allows one inline script."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def policy(theme_scripts: Iterable[str]) -> str:
    """The policy of a page whose theme, rendered empty, has these inline scripts."""
    hashes = "".join(" " + h for h in sorted({script_hash(s) for s in theme_scripts}))
    return "; ".join(_DIRECTIVES).format(hashes=hashes)
