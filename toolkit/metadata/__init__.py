"""The metadata contract of `automation.yaml`, split by idea.

    schema    the cerberus schema as data, and the vocabularies (runtimes, statuses, ...)
    model     the typed dataclasses; each field and its default declared once
    values    whether a value fits an input spec (for validation and for `autokit run`)
    validate  the cerberus validator, the cross-field and the folder checks
    wording   cerberus errors turned into problems with hints
    load      `load_automation`, `check_file`: reading, checking, findings with lines
    cache     the one cache of verdicts on file contents, and `load_valid` for runs
    signature the entrypoint's `main()` against the declared inputs (validate, policy)
    yamlfile  YAML reading: fast for good files, precise for bad ones

Everything callers use is importable from `toolkit.metadata` itself, resolved on first use
(PEP 562): `autokit run` on a warm cache needs only the model and the cache, and must not
pay for the validator, its wording and the YAML reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.lazy import lazy_exports

if TYPE_CHECKING:  # the same names as _EXPORTS, for type checkers
    from toolkit.metadata.load import ContentVerdict as ContentVerdict
    from toolkit.metadata.load import check_content as check_content
    from toolkit.metadata.load import check_file as check_file
    from toolkit.metadata.load import content_key as content_key
    from toolkit.metadata.load import display_path as display_path
    from toolkit.metadata.load import load_automation as load_automation
    from toolkit.metadata.load import to_findings as to_findings
    from toolkit.metadata.model import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
    from toolkit.metadata.model import Automation as Automation
    from toolkit.metadata.model import Deprecation as Deprecation
    from toolkit.metadata.model import Example as Example
    from toolkit.metadata.model import InputSpec as InputSpec
    from toolkit.metadata.model import Secret as Secret
    from toolkit.metadata.model import automation_from_data as automation_from_data
    from toolkit.metadata.model import contract_fields as contract_fields
    from toolkit.metadata.problems import Problem as Problem
    from toolkit.metadata.schema import CHECK_ID as CHECK_ID
    from toolkit.metadata.schema import CLASSIFICATIONS as CLASSIFICATIONS
    from toolkit.metadata.schema import INPUT_NAME as INPUT_NAME
    from toolkit.metadata.schema import INPUT_TYPES as INPUT_TYPES
    from toolkit.metadata.schema import METADATA_FILE as METADATA_FILE
    from toolkit.metadata.schema import OWNER as OWNER
    from toolkit.metadata.schema import PINNED_REQUIREMENT as PINNED_REQUIREMENT
    from toolkit.metadata.schema import RUNTIMES as RUNTIMES
    from toolkit.metadata.schema import SCHEMA as SCHEMA
    from toolkit.metadata.schema import SECRET_NAME as SECRET_NAME
    from toolkit.metadata.schema import SLUG as SLUG
    from toolkit.metadata.schema import STATUSES as STATUSES
    from toolkit.metadata.schema import TAG as TAG
    from toolkit.metadata.validate import content_problems as content_problems
    from toolkit.metadata.validate import filesystem_problems as filesystem_problems
    from toolkit.metadata.values import input_value_problem as input_value_problem
    from toolkit.versions import SEMVER as SEMVER

_EXPORTS = {
    "toolkit.metadata.load": (
        "ContentVerdict",
        "check_content",
        "check_file",
        "content_key",
        "display_path",
        "load_automation",
        "to_findings",
    ),
    "toolkit.metadata.model": (
        "DEFAULT_TIMEOUT",
        "Automation",
        "Deprecation",
        "Example",
        "InputSpec",
        "Secret",
        "automation_from_data",
        "contract_fields",
    ),
    "toolkit.metadata.problems": ("Problem",),
    "toolkit.metadata.schema": (
        "CHECK_ID",
        "CLASSIFICATIONS",
        "INPUT_NAME",
        "INPUT_TYPES",
        "METADATA_FILE",
        "OWNER",
        "PINNED_REQUIREMENT",
        "RUNTIMES",
        "SCHEMA",
        "SECRET_NAME",
        "SLUG",
        "STATUSES",
        "TAG",
    ),
    "toolkit.metadata.validate": ("content_problems", "filesystem_problems"),
    "toolkit.metadata.values": ("input_value_problem",),
    "toolkit.versions": ("SEMVER",),
}
__all__ = sorted(name for names in _EXPORTS.values() for name in names)
__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
