"""hardcoded-secrets and declared-secrets on real pull requests."""

from __future__ import annotations

import pytest
from policy_support import (
    PYPROJECT,
    base_repo,
    bumped,
    by_check,
    metadata_yaml,
    open_pr,
    policy_json,
)

# Ten formats, each on its own line of a config file; the values are well-known public
# examples or made up, never real credentials.
SECRETS = {
    "AWS Access Key": 'aws_key = "AKIAIOSFODNN7EXAMPLE"',
    "Slack Token": 'slack = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"',
    "GitHub Token": 'github = "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"',
    "Private Key": "-----BEGIN RSA PRIVATE KEY-----",
    "Basic Auth Credentials": 'database = "postgres://orders:S3cr3tPass@db.example.com/shop"',
    "Stripe Access Key": 'stripe = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"',
    "Twilio API Key": 'twilio = "SK0123456789abcdef0123456789abcdef"',
    "SendGrid API Key": (
        'sendgrid = "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"'
    ),
    "JSON Web Token": (
        'jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6'
        'IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"'
    ),
    "Discord Bot Token": (
        'discord = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"'
    ),
}


@pytest.fixture
def secrets_report(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    lines = ["# settings for the greeter", ""]
    expected = {}
    for kind, line in SECRETS.items():
        lines += [line, "harmless = 1"]
        expected[kind] = len(lines) - 1
    files = bumped("greeter")
    files["automations/greeter/settings.toml"] = "\n".join(lines) + "\n"
    open_pr(root, files)
    code, report = policy_json(cli, root, "--base", "main")
    return code, by_check(report, "hardcoded-secrets"), expected


@pytest.mark.parametrize("kind", list(SECRETS))
def test_known_secret_format_is_caught_at_its_line(secrets_report, kind):
    code, findings, expected = secrets_report
    assert code == 1
    at_line = [f for f in findings if f["line"] == expected[kind]]
    assert len(at_line) == 1, findings
    assert at_line[0]["path"] == "automations/greeter/settings.toml"
    assert kind in at_line[0]["message"]


def test_secret_values_never_appear_in_any_report(secrets_report, make_repo, cli):
    _, findings, _ = secrets_report
    assert len(findings) == len(SECRETS)  # nothing on the harmless lines
    text = repr(findings)
    for line in SECRETS.values():
        value = line.split('"')[1] if '"' in line else "PRIVATE KEY-----"
        assert value not in text


def test_secret_in_non_utf8_file_is_found_and_binary_is_skipped(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter")
    files["automations/greeter/tests/latin1.csv"] = (
        "caf\xe9;prix\nkey;AKIAIOSFODNN7EXAMPLE\n".encode("latin-1")
    )
    files["automations/greeter/tests/blob.xlsx"] = b"PK\x03\x04\x00\x00AKIAIOSFODNN7EXAMPLE"
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    found = [(f["path"], f["line"]) for f in by_check(report, "hardcoded-secrets")]
    assert found == [("automations/greeter/tests/latin1.csv", 2)]


def test_allowlist_pragma_silences_a_false_positive(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter")
    files["automations/greeter/sample.py"] = (
        'EXAMPLE = "AKIAIOSFODNN7EXAMPLE"  # pragma: allowlist secret\n'
    )
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "hardcoded-secrets") == []


MAIN_READS = """\
import os
from os import environ, getenv

def main(greeting: str = "world") -> dict[str, str]:
    password = os.environ["SMTP_PASSWORD"]
    out = os.environ.get("AUTOKIT_OUTPUT_DIR")
    home = os.getenv("HOME")
    token = environ["API_TOKEN"]
    other = getenv("UNDECLARED_ONE")
    name = "X" + greeting
    dynamic = os.environ.get(name)
    return {"message": f"hello {greeting}", "n": str(len(password))}
"""


def test_declared_secret_used_correctly_is_not_flagged(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    secrets = [
        {"name": "SMTP_PASSWORD", "description": "mailbox password"},
        {"name": "API_TOKEN", "description": "shop API"},
    ]
    files = bumped("greeter", secrets=secrets)
    files["automations/greeter/main.py"] = MAIN_READS
    open_pr(root, files)
    code, report = policy_json(cli, root, "--base", "main")
    declared = by_check(report, "declared-secrets")
    assert [(f["line"], f["severity"]) for f in declared] == [(9, "error"), (11, "warning")]
    assert "UNDECLARED_ONE" in declared[0]["message"]
    assert by_check(report, "hardcoded-secrets") == []
    assert code == 1


def test_undeclared_secret_is_flagged_and_allowlist_config_accepts_it(make_repo, cli):
    pyproject = {"pyproject.toml": PYPROJECT + 'env_allowlist = ["UNDECLARED_ONE"]\n'}
    root = base_repo(make_repo, "greeter", extra=pyproject)
    files = bumped("greeter")
    files["automations/greeter/main.py"] = (
        "import os\nos.getenv('UNDECLARED_ONE')\n\n\ndef main(greeting='world'):\n    return 1\n"
    )
    files["automations/greeter/tests/test_env.py"] = "import os\nos.environ['TEST_ONLY']\n"
    open_pr(root, files)
    code, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "declared-secrets") == [] and code == 0, report


def test_undeclared_secret_is_flagged_even_when_the_metadata_has_errors(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    secrets = [{"name": "SMTP_PASSWORD", "description": "mailbox password"}]
    files = bumped("greeter", secrets=secrets, summary=["not", "a", "string"])
    files["automations/greeter/main.py"] = (
        "import os\nos.environ['SMTP_PASSWORD']\nos.getenv('SHOP_TOKEN')\n"
    )
    open_pr(root, files)
    code, report = policy_json(cli, root, "--base", "main")
    assert code == 1 and by_check(report, "metadata-schema")
    declared = by_check(report, "declared-secrets")
    assert [(f["line"], "SHOP_TOKEN" in f["message"]) for f in declared] == [(3, True)]


def test_python_that_does_not_parse_is_reported_not_crashed(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter")
    files["automations/greeter/helper.py"] = b"x = '\xff\xfe'\n"
    files["automations/greeter/broken.py"] = "def f(:\n    pass\n"
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    paths = sorted((f["path"], f["line"]) for f in by_check(report, "declared-secrets"))
    assert paths == [("automations/greeter/broken.py", 1), ("automations/greeter/helper.py", 1)]


def test_metadata_yaml_helper_is_valid():
    assert "SMTP" in metadata_yaml("greeter", secrets=[{"name": "SMTP", "description": "d"}])
