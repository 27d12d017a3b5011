"""The contract of `automation.yaml` as data: the cerberus schema and its vocabularies.

The schema checks each field on its own; what spans fields lives in
`toolkit.metadata.validate`. Defaults are not written here: each field's default is
declared once, on the typed model (`toolkit.metadata.model`), and a test holds the field
names of the two equal.
"""

from __future__ import annotations

from typing import Any

from toolkit.versions import SEMVER

METADATA_FILE = "automation.yaml"
CHECK_ID = "metadata-schema"

SLUG = r"^[a-z][a-z0-9-]{1,62}$"
TAG = r"^[a-z0-9][a-z0-9-]{0,62}$"
OWNER = r"^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?$"
# A requirement of this plain form (a PEP 508 name and extras, `==`, a PEP 440 release) is
# pinned by construction; any other is read with packaging (toolkit.metadata.requirements).
_PROJECT = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
PINNED_REQUIREMENT = (
    rf"{_PROJECT}(?:\[{_PROJECT}(?:,{_PROJECT})*\])?=="
    r"[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
)
INPUT_NAME = r"^[a-z][a-z0-9_]{0,62}$"
# A shared library an automation uses: `shopkit` (as in the same commit) or `shopkit@1.2.0`
# (as at its tag). The name is a slug like an automation's: tags are `<name>@<version>`.
LIBRARY_REFERENCE = r"^[a-z][a-z0-9-]{1,62}(?:@[0-9]+\.[0-9]+\.[0-9]+)?$"
# Values the catalog turns into file and URL names (its department and owner pages) are
# capped, so no valid value makes a name the file system refuses; tags and names are
# bounded by their patterns.
DEPARTMENT_MAX = 100
OWNER_MAX = 100
SECRET_NAME = r"^[A-Z][A-Z0-9_]{0,62}$"
# What one unit of an automation's work is called (`time_saved: {per: invoice}`).
UNIT_NAME = r"^[a-z][a-z -]{0,30}[a-z]$"
MAX_MINUTES_PER_UNIT = 1440  # a day: more is a typo, and would swamp every report

STATUSES = ["draft", "experimental", "stable", "deprecated"]
RUNTIMES = ["python", "shell"]
CLASSIFICATIONS = ["public", "internal", "confidential", "restricted"]
INPUT_TYPES = ["string", "integer", "number", "boolean", "date", "path", "choice"]
ACCESS = ["read", "write"]  # what a sandboxed run may do with a path input

# A cerberus schema, a mapping of rules; nested schemas have the same shape.
Schema = dict[str, Any]

INPUT_SCHEMA: Schema = {
    "type": {"type": "string", "required": True, "allowed": INPUT_TYPES},
    "description": {"type": "string", "required": True, "empty": False},
    "required": {"type": "boolean"},
    "default": {"nullable": True},
    "choices": {"type": "list", "minlength": 1},
    "min": {"type": "number"},
    "max": {"type": "number"},
    "pattern": {"type": "string", "check_with": "regex_pattern"},
    "access": {"type": "string", "allowed": ACCESS},
}

SECRET_SCHEMA: Schema = {
    "name": {"type": "string", "required": True, "regex": SECRET_NAME},
    "description": {"type": "string", "required": True, "empty": False},
    "required": {"type": "boolean"},
}

EXAMPLE_SCHEMA: Schema = {
    "title": {"type": "string", "required": True, "empty": False},
    "inputs": {"type": "dict"},
}

DEPRECATION_SCHEMA: Schema = {
    "reason": {"type": "string", "required": True, "empty": False},
    "replaced_by": {"type": "string", "regex": SLUG},
}

TIME_SAVED_SCHEMA: Schema = {
    "minutes": {"type": "number", "required": True, "min": 0, "max": MAX_MINUTES_PER_UNIT},
    "per": {"type": "string", "required": True, "regex": UNIT_NAME},
}

# Where an owner hears of failures besides the GitHub issue (`autokit notify`).
EMAIL_ADDRESS = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"
MOST_FAILURES = 1000
EMAIL_SCHEMA: Schema = {
    "to": {
        "type": "list",
        "required": True,
        "empty": False,
        "schema": {"type": "string", "regex": EMAIL_ADDRESS, "maxlength": 254},
    },
    "smtp_host": {"type": "string", "required": True, "empty": False, "check_with": "one_line"},
    "smtp_port": {"type": "integer", "min": 1, "max": 65535},
    "sender": {"type": "string", "regex": EMAIL_ADDRESS, "maxlength": 254},
    "username": {"type": "string", "empty": False, "check_with": "one_line"},
    "password_secret": {"type": "string", "regex": SECRET_NAME},
}

NOTIFY_SCHEMA: Schema = {
    "after_failures": {"type": "integer", "min": 1, "max": MOST_FAILURES},
    "every_hours": {"type": "number", "check_with": "positive"},
    "webhook_secret": {"type": "string", "regex": SECRET_NAME},
    "email": {"type": "dict", "schema": EMAIL_SCHEMA},
}

# The template an automation was made from (`autokit new` writes it, `autokit upgrade`
# reads it): its name, its version, and the answers it was rendered with.
_ANSWER: Schema = {"type": "string", "required": True, "empty": False, "check_with": "one_line"}
TEMPLATE_ANSWERS_SCHEMA: Schema = {
    "title": {**_ANSWER, "maxlength": 100},
    "summary": {**_ANSWER, "maxlength": 160},
    "owner": {"type": "string", "required": True, "regex": OWNER, "maxlength": OWNER_MAX},
    "department": {**_ANSWER, "maxlength": DEPARTMENT_MAX},
}
TEMPLATE_RECORD_SCHEMA: Schema = {
    "name": {"type": "string", "required": True, "regex": SLUG},
    "version": {"type": "integer", "required": True, "min": 1},
    "answers": {"type": "dict", "required": True, "schema": TEMPLATE_ANSWERS_SCHEMA},
}

SCHEMA: Schema = {
    "name": {"type": "string", "required": True, "regex": SLUG},
    "title": {
        "type": "string",
        "required": True,
        "empty": False,
        "maxlength": 100,
        "check_with": "one_line",
    },
    "summary": {
        "type": "string",
        "required": True,
        "empty": False,
        "maxlength": 160,
        "check_with": "one_line",
    },
    "version": {"type": "string", "required": True, "regex": SEMVER},
    "owners": {
        "type": "list",
        "required": True,
        "empty": False,
        "schema": {"type": "string", "regex": OWNER, "maxlength": OWNER_MAX},
    },
    "department": {
        "type": "string",
        "required": True,
        "empty": False,
        "maxlength": DEPARTMENT_MAX,
        "check_with": "one_line",
    },
    "tags": {"type": "list", "schema": {"type": "string", "regex": TAG}},
    "status": {"type": "string", "required": True, "allowed": STATUSES},
    "deprecation": {"type": "dict", "schema": DEPRECATION_SCHEMA},
    "runtime": {"type": "string", "required": True, "allowed": RUNTIMES},
    "entrypoint": {
        "type": "string",
        "required": True,
        "empty": False,
        "check_with": "relative_path",
    },
    "requirements": {
        "type": "list",
        "schema": {"type": "string", "check_with": "pinned_requirement"},
    },
    "libraries": {"type": "list", "schema": {"type": "string", "regex": LIBRARY_REFERENCE}},
    "inputs": {
        "type": "dict",
        "keysrules": {"type": "string", "regex": INPUT_NAME},
        "valuesrules": {"type": "dict", "schema": INPUT_SCHEMA, "check_with": "input_spec"},
    },
    "secrets": {"type": "list", "schema": {"type": "dict", "schema": SECRET_SCHEMA}},
    "schedule": {"type": "string", "nullable": True, "check_with": "cron"},
    "timeout": {"type": "integer", "min": 1, "max": 86400},
    "network": {"type": "boolean"},
    "classification": {"type": "string", "required": True, "allowed": CLASSIFICATIONS},
    "time_saved_minutes": {"type": "number", "min": 0},
    "time_saved": {"type": "dict", "schema": TIME_SAVED_SCHEMA},
    "rehearsal_input": {"type": "string", "regex": INPUT_NAME},
    "examples": {"type": "list", "schema": {"type": "dict", "schema": EXAMPLE_SCHEMA}},
    "notify": {"type": "dict", "schema": NOTIFY_SCHEMA},
    "template": {"type": "dict", "schema": TEMPLATE_RECORD_SCHEMA},
    # The idea issue (its number) the automation was built from; the catalog links both ways.
    "idea": {"type": "integer", "min": 1},
}
