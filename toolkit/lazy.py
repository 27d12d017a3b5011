"""Package re-exports resolved on first use (PEP 562), so importing a package stays cheap.

A package's `__init__` names what it re-exports and from where; a caller that needs one
name loads only the module that defines it, not every sibling the package re-exports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, tuple[str, ...]], namespace: dict[str, object]
) -> Callable[[str], object]:
    """A module `__getattr__` for `package`, given {module: names it provides}."""
    module_of = {name: module for module, names in exports.items() for name in names}

    def resolve(name: str) -> object:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups skip this function
        return value

    return resolve
