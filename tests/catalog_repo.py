"""A small catalog repository with history, shared by the catalog tests.

Four automations cover the cases the catalog must get right: a full one with tagged
versions, a deprecated one, one whose every text field is hostile, and one with no
README, an empty CHANGELOG and a broken README link.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

from helpers import automation_files, build_tree

PROJECT = Path(__file__).resolve().parents[1]

# Opens a dialog only if escaping or sanitizing failed; the browser tests watch for one.
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'
# An image the sanitizer keeps (https) and the Content-Security-Policy must keep from loading.
REMOTE_IMAGE = "https://example.invalid/tracker.png"
# A hand-written page under docs/ carrying every kind of markup a hostile contributor might
# try, beside the Markdown features the site's own pages use, which must survive.
HOSTILE_DOCS_PAGE = "hostile-page.md"
HOSTILE_DOCS_TEXT = """---
title: 'Hostile page </title><script>alert(11)</script>'
description: '"><script>alert(12)</script>'
---

# Hostile page <img src=x onerror="alert(13)">

Raw <b>bold</b> <script>alert(14)</script> <a href="javascript:alert(15)">js link</a>
[md js](javascript:alert(16)) <img src="x" onerror="alert(17)"> <svg onload="alert(18)"></svg>
<iframe src="javascript:alert(19)"></iframe> <span style="color:red" onclick="alert(20)">x</span>

<div id="__config" data-md-component="search" markdown>fake theme parts</div>

## Second section {: data-toc-label="<img src=x onerror=alert(21)>" onclick="alert(22)" }

!!! note "A note"
    Admonitions still render.

| left | right |
|------|-------|
| one  | two   |

```yaml
key: value
```

See [Contributing](contributing.md), [the section](#second-section) and
[a site](https://example.org/).
"""


def png_image(width: int, height: int) -> bytes:
    """A real PNG of red pixels, which a browser decodes (`naturalWidth` is `width`)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# The screenshot the invoice-reminders README shows from its own folder.
SCREENSHOT = png_image(3, 2)
SCREENSHOT_PATH = "docs/screenshot.png"


def isolated_env(base: Path) -> dict[str, str]:
    """Environment for Git and autokit away from the user's config (module-scoped fixtures
    run before the per-test isolation)."""
    env = dict(os.environ)
    env.update(
        HOME=str(base),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(base / ".gitconfig"),
        AUTOKIT_CACHE_DIR=str(base / "cache"),
        AUTOKIT_HOME=str(base / "home"),
        NO_MKDOCS_2_WARNING="1",
    )
    return env


def git_as(root: Path, env: dict[str, str], who: str, *args: str, when: str | None = None) -> str:
    person = {
        "GIT_AUTHOR_NAME": who,
        "GIT_AUTHOR_EMAIL": f"{who.lower()}@example.com",
        "GIT_COMMITTER_NAME": who,
        "GIT_COMMITTER_EMAIL": f"{who.lower()}@example.com",
    }
    if when:
        person.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    result = subprocess.run(
        ["git", *args], cwd=root, env={**env, **person}, check=True, capture_output=True, text=True
    )
    return result.stdout


def site_files(root: Path) -> None:
    """The project's own mkdocs.yml and docs/, and a pyproject with a repository URL."""
    shutil.copy(PROJECT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(PROJECT / "docs", root / "docs", dirs_exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.autokit]\nrepository_url = "https://github.com/example-shop/autokit"\n',
        encoding="utf-8",
    )


def invoice_files(version: str, changelog: str) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    files |= automation_files(
        "invoice-reminders",
        title="Invoice reminders",
        version=version,
        summary="Emails customers whose invoices are overdue.",
        department="Finance",
        owners=["@alice", "@example-shop/finance"],
        tags=["finance", "email"],
        schedule="0 8 * * 1-5",
        time_saved_minutes=30,
        classification="confidential",
        requirements=["openpyxl==3.1.5"],
        secrets=[{"name": "SMTP_PASSWORD", "description": "Password of the mail account"}],
        inputs={"days": {"type": "integer", "description": "Days overdue", "default": 7}},
        examples=[{"title": "A week overdue", "inputs": {"days": 7}}],
    )
    files["automations/invoice-reminders/CHANGELOG.md"] = changelog
    files["automations/invoice-reminders/README.md"] = (
        "# Invoice reminders\n\nSends a polite reminder for every overdue invoice.\n\n"
        "See [the template](template.txt) and [the old notes](notes/missing.md).\n\n"
        f"![A reminder as customers see it]({SCREENSHOT_PATH})\n"
    )
    files["automations/invoice-reminders/template.txt"] = "Dear customer\n"
    files[f"automations/invoice-reminders/{SCREENSHOT_PATH}"] = SCREENSHOT
    return files


def hostile_files() -> dict[str, str]:
    files = automation_files(
        "hostile-text",
        title=f"Hostile {XSS} &amp; title",
        summary=f"Zanzibar {XSS} &lt;b&gt; [click](javascript:alert(3))",
        inputs={"target": {"type": "string", "description": f"Target {XSS}", "default": XSS}},
        examples=[{"title": f"Example {XSS}", "inputs": {"target": XSS}}],
        department=f"Ops {XSS}",
        tags=["security"],
    )
    files["automations/hostile-text/README.md"] = (
        f"# Readme\n\nReadable text {XSS}\n\n[js](javascript:alert(4)) "
        '<a href="jaVasCript:alert(5)" onclick="alert(6)">raw link</a> '
        '<iframe src="javascript:alert(7)"></iframe> <svg onload="alert(8)"></svg> '
        "&lt;script&gt;entity&lt;/script&gt;\n\n"
        f'<img src="{REMOTE_IMAGE}" alt="remote image">\n'
    )
    files["automations/hostile-text/CHANGELOG.md"] = (
        f"## 1.0.0\n\n- Changed {XSS} [x](javascript:alert(9))\n"
    )
    return files


def build_catalog_repo(root: Path, env: dict[str, str]) -> Path:
    """The repository, with history by three people and version tags."""
    root.mkdir(parents=True)
    site_files(root)
    git_as(root, env, "Alice", "init", "-q", "-b", "main")
    build_tree(root, invoice_files("1.0.0", "## 1.0.0\n\n- First reminders.\n"))
    git_as(root, env, "Alice", "add", "-A")
    git_as(
        root,
        env,
        "Alice",
        "commit",
        "-qm",
        "add invoice-reminders",
        when="2026-01-05T10:00:00+00:00",
    )
    git_as(root, env, "Alice", "tag", "invoice-reminders@1.0.0")
    build_tree(
        root,
        invoice_files(
            "1.1.0", "## 1.1.0\n\n- Skips disputed invoices.\n\n## 1.0.0\n\n- First reminders.\n"
        ),
    )
    build_tree(
        root,
        automation_files(
            "old-report",
            title="Old report",
            summary="The weekly report, done the old way.",
            status="deprecated",
            tags=["email"],
            deprecation={"reason": "Superseded by reminders.", "replaced_by": "invoice-reminders"},
        ),
    )
    git_as(root, env, "Bob", "add", "-A")
    git_as(
        root,
        env,
        "Bob",
        "commit",
        "-qm",
        "reminders 1.1, old report",
        when="2026-02-01T10:00:00+00:00",
    )
    git_as(root, env, "Bob", "tag", "invoice-reminders@1.1.0")
    git_as(root, env, "Bob", "tag", "old-report@1.0.0")
    files = {**hostile_files(), **automation_files("bare-minimum", summary="Nothing more.")}
    files["automations/bare-minimum/CHANGELOG.md"] = ""
    files.pop("automations/bare-minimum/README.md")
    files[f"docs/{HOSTILE_DOCS_PAGE}"] = HOSTILE_DOCS_TEXT
    build_tree(root, files)
    git_as(root, env, "Carol", "add", "-A")
    git_as(root, env, "Carol", "commit", "-qm", "two more", when="2026-03-01T10:00:00+00:00")
    return root


def build_catalog_site(base: Path) -> Path:
    """Build the fixture repository under `base` and its catalog into `base/site`."""
    import pytest

    from toolkit.cli import main

    env = isolated_env(base)
    root = build_catalog_repo(base / "repo", env)
    with pytest.MonkeyPatch.context() as patch:
        for key in ("HOME", "GIT_CONFIG_GLOBAL", "AUTOKIT_CACHE_DIR", "AUTOKIT_HOME"):
            patch.setenv(key, env[key])
        code = main(["--repo", str(root), "catalog", "build", "--site-dir", str(base / "site")])
    assert code == 0
    return base / "site"
