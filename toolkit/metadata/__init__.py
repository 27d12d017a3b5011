"""The metadata contract of `automation.yaml`, split by idea.

    schema    the cerberus schema as data, and the vocabularies (runtimes, statuses, ...)
    model     the typed dataclasses; each field and its default declared once
    values    whether a value fits an input spec (for validation and for `autokit run`)
    validate  the cerberus validator, the cross-field and the folder checks
    wording   cerberus errors turned into problems with hints
    load      `load_automation`, `check_file`: reading, checking, findings with lines
    cache     the one cache of verdicts on file contents, and `load_valid` for runs
    yamlfile  YAML reading: fast for good files, precise for bad ones

Everything callers use is importable from `toolkit.metadata` itself. Importing it does
not import cerberus or the YAML parser; they are loaded when content is checked.
"""

from __future__ import annotations

from toolkit.metadata.load import (
    ContentVerdict,
    check_content,
    check_file,
    content_key,
    display_path,
    load_automation,
    to_findings,
)
from toolkit.metadata.model import (
    DEFAULT_TIMEOUT,
    Automation,
    Deprecation,
    Example,
    InputSpec,
    Secret,
    automation_from_data,
    contract_fields,
)
from toolkit.metadata.problems import Problem
from toolkit.metadata.schema import (
    CHECK_ID,
    CLASSIFICATIONS,
    INPUT_NAME,
    INPUT_TYPES,
    METADATA_FILE,
    OWNER,
    PINNED_REQUIREMENT,
    RUNTIMES,
    SCHEMA,
    SECRET_NAME,
    SLUG,
    STATUSES,
    TAG,
)
from toolkit.metadata.validate import content_problems, filesystem_problems
from toolkit.metadata.values import input_value_problem
from toolkit.versions import SEMVER

__all__ = [
    "CHECK_ID",
    "CLASSIFICATIONS",
    "DEFAULT_TIMEOUT",
    "INPUT_NAME",
    "INPUT_TYPES",
    "METADATA_FILE",
    "OWNER",
    "PINNED_REQUIREMENT",
    "RUNTIMES",
    "SCHEMA",
    "SECRET_NAME",
    "SEMVER",
    "SLUG",
    "STATUSES",
    "TAG",
    "Automation",
    "ContentVerdict",
    "Deprecation",
    "Example",
    "InputSpec",
    "Problem",
    "Secret",
    "automation_from_data",
    "check_content",
    "check_file",
    "content_key",
    "content_problems",
    "contract_fields",
    "display_path",
    "filesystem_problems",
    "input_value_problem",
    "load_automation",
    "to_findings",
]
