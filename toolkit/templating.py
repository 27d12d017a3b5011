"""The one way autokit makes a Jinja environment: sandboxed, undefined names are errors.

Templates are autokit's own, but the values they render are often contributor text, so
the sandbox keeps templates away from Python internals and `StrictUndefined` turns a
misspelt variable into an error instead of an empty string.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment


def sandboxed_environment(
    folder: Path | list[Path] | None = None, *, autoescape: bool, trim_blocks: bool = True
) -> SandboxedEnvironment:
    """A sandboxed environment loading templates from `folder` (the first of several that
    has a template), or only from strings.

    `autoescape` is for HTML; YAML and Markdown templates turn it off and rely on their
    values being validated or encoded by a filter.
    """
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=FileSystemLoader(folder) if folder is not None else None,
        undefined=StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=trim_blocks,
        lstrip_blocks=trim_blocks,
    )
