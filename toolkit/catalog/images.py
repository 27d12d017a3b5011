"""Images an automation's README or CHANGELOG shows from its own folder, published in the site.

The site's Content-Security-Policy lets pages load images from the site itself only, so an
image such as `![screenshot](docs/screenshot.png)` is copied into the site beside the
automation's page, under a name made from its content (`images/<sha256 prefix>.<ext>`:
contributor file names never become site paths, and an image shown twice is one file).

Only what is checked to be a picture is published: a PNG, JPEG, GIF or WebP file whose
first bytes say it is one, at most MAX_IMAGE_BYTES, read without following a symbolic
link, inside the automation's folder, and at most MAX_IMAGES per automation. SVG is
refused: an SVG is a document that may hold scripts, harmless inside an `<img>`, but
opened by its own URL it runs on the site's origin, where the policy (a `<meta>` tag of
the HTML pages) does not reach it. Exporting it as PNG is the fix.
"""

from __future__ import annotations

import errno
import hashlib
import posixpath
from dataclasses import dataclass
from pathlib import Path

from toolkit.checks.file_size import MAX_BYTES
from toolkit.files import LinkedFile, read_contributor_file

MAX_IMAGE_BYTES = MAX_BYTES  # the file-size check's limit: no larger file gets merged
MAX_IMAGES = 20  # per automation: a page is not a photo album
IMAGE_FOLDER = "images"  # beside the automation's page, which is <folder>/index.md
_NAME_DIGITS = 16  # hex digits of the content hash that names a published image

# Extension -> the first bytes every file of that type starts with.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),  # and "WEBP" at offset 8, checked in `_looks_like`
}
_KINDS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "gif": "GIF", "webp": "WebP"}


@dataclass(frozen=True)
class SiteImage:
    """An image to publish: its path in the site and the bytes that were checked."""

    dest: str
    content: bytes


class RefusedImage(Exception):
    """An image left out of the site; `str()` says why, and how to fix it when one can."""


def site_image(target: str, folder: Path, site_folder: str) -> SiteImage:
    """The image at `target` (a path relative to the automation `folder`, as a README
    writes it) published under `site_folder`; raises RefusedImage saying why not."""
    relative = posixpath.normpath(target)
    if posixpath.isabs(target) or relative == ".." or relative.startswith("../"):
        raise RefusedImage("it is outside the automation's folder")
    extension = posixpath.splitext(relative)[1].lstrip(".").lower()
    if extension == "svg":
        raise RefusedImage(
            "SVG is not published (opened by its own address, an SVG could run scripts on "
            "the site); export it as PNG"
        )
    if extension not in _SIGNATURES:
        raise RefusedImage("only PNG, JPEG, GIF and WebP images are published")
    content = _read(folder / relative, folder.parents[1])
    if len(content) > MAX_IMAGE_BYTES:
        raise RefusedImage(f"it is over the {MAX_IMAGE_BYTES // 1_000_000} MB limit")
    if not _looks_like(extension, content):
        raise RefusedImage(f"its content is not a {_KINDS[extension]} image")
    digest = hashlib.sha256(content).hexdigest()[:_NAME_DIGITS]
    return SiteImage(f"{site_folder}/{IMAGE_FOLDER}/{digest}.{extension}", content)


def page_url(image: SiteImage) -> str:
    """The image's URL from the automation's page (the same with and without directory
    URLs: `automations/x/` and `automations/x/index.html` are in the same folder)."""
    return f"{IMAGE_FOLDER}/{posixpath.basename(image.dest)}"


def _read(path: Path, root: Path) -> bytes:
    try:
        return read_contributor_file(path, root, limit=MAX_IMAGE_BYTES + 1)
    except LinkedFile:
        raise RefusedImage(
            "it is a symbolic link, which autokit never follows; replace it with the file"
        ) from None
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
            raise RefusedImage("no such file in the automation's folder") from None
        raise RefusedImage(f"it cannot be read ({error.strerror})") from None


def _looks_like(extension: str, content: bytes) -> bool:
    if not content.startswith(_SIGNATURES[extension]):
        return False
    return extension != "webp" or content[8:12] == b"WEBP"
