"""hardcoded-secrets: secrets inside calls, formats detect-secrets does not know, passwords
in dict literals and CSV samples, and the pre-commit hook that stops them before Git
history does.

Every value here is made up: random characters in each format's shape (seeded, so the
same on every run), or the documented example AWS key.
"""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import automation_files, commit_all, git
from policy_support import base_repo, bumped, by_check, open_pr, policy_json

from toolkit.policy import secret_patterns

PROJECT = Path(__file__).resolve().parent.parent
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
AWS = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key  # pragma: allowlist secret


def fake(alphabet: str, length: int, seed: int) -> str:
    return "".join(random.Random(seed).choices(alphabet, k=length))


# kind -> a value of that kind. GitHub's gho_/ghu_/ghs_ come from detect-secrets' own
# plugin ("GitHub Token"); the others from toolkit/policy/secret_patterns.py.
VALUES = {
    "GitHub Fine-Grained Token": f"github_pat_11{fake(ALNUM, 20, 1)}_{fake(ALNUM, 59, 2)}",
    "GitHub Token (gho_)": f"gho_{fake(ALNUM, 36, 3)}",
    "GitHub Token (ghu_)": f"ghu_{fake(ALNUM, 36, 4)}",
    "GitHub Token (ghs_)": f"ghs_{fake(ALNUM, 36, 5)}",
    "Google API Key": f"AIzaSy{fake(ALNUM + '_-', 33, 6)}",
    "Slack App Token": f"xapp-1-A0{fake(string.ascii_uppercase + string.digits, 9, 7)}"
    f"-{fake(string.digits, 13, 8)}-{fake(HEX, 64, 9)}",
    "Shopify Token": f"shpat_{fake(HEX, 32, 10)}",
    "DigitalOcean Token": f"dop_v1_{fake(HEX, 64, 11)}",
    "Anthropic API Key": f"sk-ant-api03-{fake(ALNUM + '_-', 93, 12)}AA",
    "OpenAI Project Key": f"sk-proj-{fake(ALNUM + '_-', 64, 13)}",
    "Hugging Face Token": f"hf_{fake(string.ascii_letters, 34, 14)}",
    "npm Token": f"npm_{fake(ALNUM, 36, 15)}",
    "Azure AD Client Secret": f"{fake(ALNUM, 3, 16)}8Q~{fake(ALNUM + '_~.-', 34, 17)}",
    "Encrypted Private Key": "-----BEGIN ENCRYPTED PRIVATE KEY-----",
}


def kind_of(label: str) -> str:
    return label.split(" (")[0]


@pytest.fixture
def formats_pr(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    lines = ['"""Settings of the greeter."""', ""]
    expected = {}
    for number, (label, value) in enumerate(VALUES.items()):
        lines += [f'setting_{number} = "{value}"', "retries = 3"]
        expected[label] = len(lines) - 1
    files = bumped("greeter")
    files["automations/greeter/settings.py"] = "\n".join(lines) + "\n"
    open_pr(root, files)
    code, report = policy_json(cli, root, "--base", "main")
    return code, by_check(report, "hardcoded-secrets"), expected


@pytest.mark.parametrize("label", list(VALUES))
def test_each_format_is_caught_at_its_line(formats_pr, label):
    code, findings, expected = formats_pr
    assert code == 1
    at_line = [f for f in findings if f["line"] == expected[label]]
    assert len(at_line) == 1, findings
    assert kind_of(label) in at_line[0]["message"]


def test_no_format_value_is_shown_and_harmless_lines_are_quiet(formats_pr):
    _, findings, expected = formats_pr
    assert sorted(f["line"] for f in findings) == sorted(expected.values())
    text = repr(findings)
    for value in VALUES.values():
        assert value not in text and value[-12:] not in text


def test_every_format_of_the_module_has_a_case_here():
    tested = {kind_of(label) for label in VALUES}
    assert {kind for kind, _ in secret_patterns.FORMATS} <= tested


NEAR_MISSES = [
    "from huggingface_hub import hf_hub_download",  # hf_ then an identifier
    f'prefix = "AIza{fake(ALNUM, 20, 20)}"',  # too short for a Google key
    "npm_config_registry = 'https://registry.npmjs.org/'",
    f'short = "sk-ant-{fake(ALNUM, 10, 21)}"',
    f'pat = "github_pat_{fake(ALNUM, 12, 22)}"',
    "-----BEGIN PUBLIC KEY-----",
    f'not_azure = "{fake(ALNUM, 3, 23)}8Q~short"',
    f'digest = "dop_v1_{fake(HEX, 20, 24)}"',
    "    pass",
    "    pass  # nothing to do",
    'login = {"user": "alice", "pass": ""}',
    'login = {"user": "alice", "pass": os.environ["SHOP_PASSWORD"]}',
    'login = {"user": "alice", "pw": "${SHOP_PASSWORD}"}',
    'login = {"user": "alice", "pass": "***"}',
]


@pytest.mark.parametrize("line", NEAR_MISSES)
def test_near_misses_are_not_secrets(line):
    assert list(secret_patterns.find(Path("settings.py"), line + "\n")) == []


CALLS = f"""\
import os

import boto3

TOKEN = os.environ.get("TOKEN", "{AWS}")
client = make_client(api_key="{AWS}")
s3 = boto3.client("s3", aws_access_key_id="{AWS}")
secret = request.headers["apikey"]
password = get_password()
"""

CALLS_JS = f"""\
const token = process.env.TOKEN || lookup("TOKEN", "{AWS}");
const s3 = new S3Client({{ credentials: fromValues("{AWS}") }});
"""


def test_secrets_inside_calls_are_caught_in_every_format(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter")
    files["automations/greeter/main.py"] = CALLS
    files["automations/greeter/upload.js"] = CALLS_JS
    files["automations/greeter/config.toml"] = f'key = lookup("{AWS}")\n'
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    found = sorted(
        (f["path"], f["line"], f["message"]) for f in by_check(report, "hardcoded-secrets")
    )
    aws = "possible hard-coded secret (AWS Access Key)"
    assert found == [
        ("automations/greeter/config.toml", 1, aws),
        ("automations/greeter/main.py", 5, aws),
        ("automations/greeter/main.py", 6, aws),
        ("automations/greeter/main.py", 7, aws),
        ("automations/greeter/upload.js", 1, aws),
        ("automations/greeter/upload.js", 2, aws),
    ]
    # The keyword detector still ignores names read from elsewhere (lines 8 and 9).


PASSWORDS_PY = """\
LOGIN = {"user": "alice", "pass": "hunter2"}
ADMIN = {'user': 'root', 'passphrase': 'correct horse battery'}
SHOP = dict(user="shop", password="Winter2024!")
"""


def test_a_password_in_a_dict_literal_is_caught(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter")
    files["automations/greeter/accounts.py"] = PASSWORDS_PY
    files["automations/greeter/tests/fixture.json"] = '{"user": "alice", "pass": "hunter2"}\n'
    files["automations/greeter/tests/fixture.yaml"] = "user: alice\npass: hunter2\n"
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    found = sorted((f["path"], f["line"]) for f in by_check(report, "hardcoded-secrets"))
    assert found == [
        ("automations/greeter/accounts.py", 1),
        ("automations/greeter/accounts.py", 2),
        ("automations/greeter/accounts.py", 3),
        ("automations/greeter/tests/fixture.json", 1),
        ("automations/greeter/tests/fixture.yaml", 2),
    ]
    assert "hunter2" not in repr(report)


LOGINS_CSV = """\
name,email,password,password_hash
Alice,alice@example.com,hunter2,
Bob,bob@example.com,,5f4dcc3b5aa765d61d8327deb882cf99
Carol,carol@example.com,***,
Dan,dan@example.com,Tr0ub4dor&3,
"""

SETTINGS_CSV = "setting,value\nsmtp_host,mail.example.com\nsmtp_password,Winter2024!\n"
TOKENS_TSV = "shop\tapi token\nnorth\tq7Zt9LmW2xR4vB8n\nsouth\t\n"


def test_a_password_in_a_csv_sample_is_caught_on_its_row(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter")
    files["automations/greeter/tests/logins.csv"] = LOGINS_CSV
    files["automations/greeter/tests/settings.csv"] = SETTINGS_CSV
    files["automations/greeter/tests/tokens.tsv"] = TOKENS_TSV
    open_pr(root, files)
    _, report = policy_json(cli, root, "--base", "main")
    found = sorted(
        (f["path"], f["line"], f["message"]) for f in by_check(report, "hardcoded-secrets")
    )
    column = "possible hard-coded secret (Password in the column 'password')"
    assert found == [
        ("automations/greeter/tests/logins.csv", 2, column),
        ("automations/greeter/tests/logins.csv", 5, column),
        (
            "automations/greeter/tests/settings.csv",
            3,
            "possible hard-coded secret (Password beside its name)",
        ),
        (
            "automations/greeter/tests/tokens.tsv",
            2,
            "possible hard-coded secret (Password in the column 'api token')",
        ),
    ]
    assert "hunter2" not in repr(report) and "Winter2024" not in repr(report)


def test_the_shipped_automations_have_no_findings(cli):
    _, report = policy_json(cli, PROJECT, "--all")
    assert by_check(report, "hardcoded-secrets") == [], report


# ---------------------------------------------------------------------------
# The pre-commit hook, with real git and real pre-commit


def project_hook() -> dict[str, object]:
    config = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text())
    hooks = [h for repo in config["repos"] for h in repo["hooks"]]
    return next(h for h in hooks if h["id"] == "autokit-scan-secrets")


@pytest.fixture
def hooked(make_repo) -> Path:
    """A repository whose pre-commit config holds the project's secrets hook alone (the
    other hooks install from PyPI or need the toolkit's sources), installed in Git."""
    root = make_repo(automation_files("greeter"), commit=False)
    config = {"repos": [{"repo": "local", "hooks": [project_hook()]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    commit_all(root, "with the hook")
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=root,
        env=hook_env(),
        check=True,
        capture_output=True,
    )
    return root


def hook_env() -> dict[str, str]:
    """This environment's autokit on PATH, as an activated virtual environment has it."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def commit(root: Path, message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", message],
        cwd=root,
        env=hook_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_hook_refuses_a_commit_with_a_password_before_it_reaches_history(hooked):
    head = git(hooked, "rev-parse", "HEAD")
    (hooked / "automations/greeter/accounts.py").write_text(PASSWORDS_PY)
    (hooked / "automations/greeter/notes.md").write_text("Nothing secret here.\n")
    git(hooked, "add", ".")
    result = commit(hooked, "add accounts")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "autokit scan-secrets (no hard-coded secrets)" in output and "Failed" in output
    assert "automations/greeter/accounts.py:1: possible hard-coded secret (Password)" in output
    assert "hunter2" not in output and "Winter2024" not in output
    assert git(hooked, "rev-parse", "HEAD") == head  # nothing reached history
    assert "accounts.py" in git(hooked, "diff", "--cached", "--name-only")  # still staged


def test_the_hook_lets_a_clean_commit_through_and_scans_what_is_staged(hooked):
    path = hooked / "automations/greeter/accounts.py"
    path.write_text('import os\nLOGIN = {"user": "alice", "pass": os.environ["SHOP_PASSWORD"]}\n')
    git(hooked, "add", ".")
    # An unstaged edit is set aside by pre-commit: the commit holds the clean version.
    path.write_text(PASSWORDS_PY)
    result = commit(hooked, "read the password from the environment")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "autokit scan-secrets (no hard-coded secrets)" in result.stderr
    assert "Passed" in result.stderr
    assert "SHOP_PASSWORD" in git(hooked, "show", "HEAD:automations/greeter/accounts.py")
    assert path.read_text() == PASSWORDS_PY  # the unstaged edit is back


def test_the_scan_secrets_command_names_each_line_and_exits_1(make_repo, cli, monkeypatch):
    root = make_repo({"automations/greeter/accounts.py": PASSWORDS_PY, "clean.txt": "hello\n"})
    monkeypatch.chdir(root)
    result = cli("scan-secrets", "automations", "clean.txt")
    assert result.code == 1, result
    assert [line.split(": ")[0] for line in result.out.splitlines()] == [
        "automations/greeter/accounts.py:1",
        "automations/greeter/accounts.py:2",
        "automations/greeter/accounts.py:3",
    ]
    assert "2 file(s) scanned, 3 possible secret(s)" in result.err
    assert "hunter2" not in result.out + result.err
    assert cli("scan-secrets", "clean.txt").code == 0
    missing = cli("scan-secrets", "gone.py")
    assert missing.code == 1 and "gone.py: no such file" in missing.err


def test_the_hook_does_not_follow_links(make_repo, cli, monkeypatch, tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text(PASSWORDS_PY)
    root = make_repo({"automations/greeter/README.md": "# Greeter\n"})
    (root / "automations/greeter/link.py").symlink_to(outside)
    monkeypatch.chdir(root)
    assert cli("scan-secrets", "automations/greeter/link.py", "automations").code == 0


def test_a_yaml_file_detect_secrets_cannot_construct_is_scanned_as_text(make_repo, cli):
    root = base_repo(make_repo, "greeter")
    files = bumped("greeter")
    files["automations/greeter/config.yaml"] = (
        f"retries: !!int abc\nflag: !!bool maybe\naws_key: {AWS}\n"
    )
    open_pr(root, files)
    code, report = policy_json(cli, root, "--base", "main")
    found = [(f["path"], f["line"]) for f in by_check(report, "hardcoded-secrets")]
    assert found == [("automations/greeter/config.yaml", 3)]
    assert code == 1
