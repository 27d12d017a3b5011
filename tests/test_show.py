from __future__ import annotations

import json
import shlex

from helpers import automation_files, commit_all, git

INPUTS = {
    "month": {"type": "date", "description": "First day of the month"},
    "customer": {"type": "string", "description": "Customer name", "required": True},
    "dry": {"type": "boolean", "description": "Only print", "default": False},
    "tone": {
        "type": "choice",
        "description": "Letter tone",
        "choices": ["warm", "formal"],
        "default": "warm",
    },
    "days": {"type": "integer", "description": "Days overdue", "min": 1, "max": 90},
}
EXAMPLES = [
    {
        "title": "March for Smith & Sons",
        "inputs": {"customer": "Smith & Sons", "month": "2026-03-01", "dry": True},
    },
    {"title": "Another", "inputs": {"customer": "X"}},
]


def invoice_files(**overrides) -> dict[str, str]:
    fields = {
        "inputs": INPUTS,
        "examples": EXAMPLES,
        "secrets": [{"name": "SMTP_PASSWORD", "description": "Mail password"}],
        "schedule": "0 8 * * 1-5",
        "requirements": ["openpyxl==3.1.5"],
    }
    return automation_files("invoice-reminders", **{**fields, **overrides})


def test_text_shows_metadata_inputs_versions_and_run_line(make_repo, cli):
    root = make_repo(invoice_files())
    git(root, "tag", "invoice-reminders@0.9.0")
    git(root, "tag", "-a", "-m", "release", "invoice-reminders@1.0.0")
    git(root, "tag", "other-thing@1.0.0")
    result = cli("show", "invoice-reminders", "--repo", str(root))
    assert result.code == 0, result
    out = result.out
    assert out.startswith("invoice-reminders 1.0.0: Invoice Reminders\nDoes the invoice-reminders")
    assert "schedule        0 8 * * 1-5 (UTC)" in out
    assert "secrets         SMTP_PASSWORD" in out
    assert "requirements    openpyxl==3.1.5" in out
    assert "folder          automations/invoice-reminders/" in out
    inputs = out.split("Inputs:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert inputs[0].split() == ["NAME", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"]
    assert inputs[2].split()[:5] == ["month", "date", "no", "-", "First"]
    assert "tone      choice (warm | formal)  no        warm" in out
    assert "days      integer [1..90]" in out
    versions = out.split("Versions (Git tags):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [v.split()[0] for v in versions] == [
        "invoice-reminders@0.9.0",
        "invoice-reminders@1.0.0",
    ]
    assert "other-thing" not in out
    run_line = out.rstrip().splitlines()[-1].strip()
    assert shlex.split(run_line) == [
        "autokit",
        "run",
        "invoice-reminders",
        "--input",
        "customer=Smith & Sons",
        "--input",
        "month=2026-03-01",
        "--input",
        "dry=true",
    ]


def test_untagged_current_version_is_marked(make_repo, cli):
    root = make_repo(invoice_files())
    git(root, "tag", "invoice-reminders@0.9.0")
    result = cli("show", "invoice-reminders", "--repo", str(root))
    assert "  1.0.0 (current, not tagged yet)" in result.out


def test_json_has_everything(make_repo, cli):
    root = make_repo(invoice_files())
    commit = git(root, "rev-parse", "HEAD").strip()
    git(root, "tag", "invoice-reminders@1.0.0")
    result = cli("show", "invoice-reminders", "--repo", str(root), "--format", "json")
    data = json.loads(result.out)
    assert data["name"] == "invoice-reminders"
    assert data["inputs"]["tone"]["choices"] == ["warm", "formal"]
    assert data["timeout"] == 600
    assert data["folder"] == "automations/invoice-reminders"
    assert [(v["tag"], v["commit"]) for v in data["versions"]] == [
        ("invoice-reminders@1.0.0", commit)
    ]
    assert data["run_command"].startswith("autokit run invoice-reminders --input ")


def test_without_examples_the_run_line_names_required_inputs(make_repo, cli):
    root = make_repo(invoice_files(examples=[]))
    result = cli("show", "invoice-reminders", "--repo", str(root), "--format", "json")
    assert json.loads(result.out)["run_command"] == (
        "autokit run invoice-reminders --input 'customer=<string>'"
    )


def test_unknown_name_suggests_the_closest(make_repo, cli):
    root = make_repo(invoice_files())
    result = cli("show", "invoice-remindr", "--repo", str(root))
    assert result.code == 1
    assert "no automation named 'invoice-remindr'" in result.err
    assert "did you mean 'invoice-reminders'?" in result.err


def test_a_name_in_capitals_suggests_the_lowercase_one(make_repo, cli):
    root = make_repo(invoice_files())
    result = cli("show", "Invoice-Reminders", "--repo", str(root))
    assert result.code == 1
    assert "did you mean 'invoice-reminders'?" in result.err


def test_invalid_automation_shows_its_problems(make_repo, cli):
    files = invoice_files()
    files["automations/invoice-reminders/automation.yaml"] = "name: invoice-reminders\n"
    root = make_repo(files)
    result = cli("show", "invoice-reminders", "--repo", str(root))
    assert result.code == 1
    assert "automation 'invoice-reminders' has invalid metadata" in result.err
    assert "automations/invoice-reminders/automation.yaml:1:1: title: is required" in result.err
    assert "Traceback" not in result.err


def test_outside_git_versions_are_unknown(make_repo, cli):
    root = make_repo(invoice_files(), commit=False)
    (root / ".git").rename(root / "not-git")
    result = cli("show", "invoice-reminders", "--repo", str(root))
    assert result.code == 0
    assert "Versions: unknown (the repository is not a Git repository)" in result.out


def test_versions_follow_new_tags(make_repo, cli):
    root = make_repo(invoice_files())
    git(root, "tag", "invoice-reminders@1.0.0")
    commit_all(root, "later")
    git(root, "tag", "invoice-reminders@1.10.0")
    git(root, "tag", "invoice-reminders@1.2.0")
    data = json.loads(cli("show", "invoice-reminders", "--repo", str(root), "--format", "json").out)
    assert [v["version"] for v in data["versions"]] == ["1.0.0", "1.2.0", "1.10.0"]


def two_versions_of_late_fees(make_repo):
    """late-fees@0.1.0 takes `minimum`; the working tree's 0.2.0 renamed it `minimum_fee`."""
    old = {"minimum": {"type": "number", "description": "Smallest fee"}}
    new = {"minimum_fee": {"type": "number", "description": "Smallest fee"}}
    root = make_repo(automation_files("late-fees", version="0.1.0", inputs=old, examples=[]))
    git(root, "tag", "late-fees@0.1.0")
    files = automation_files("late-fees", version="0.2.0", inputs=new, examples=[])
    for path, text in files.items():
        (root / path).write_text(text)
    commit_all(root, "late-fees 0.2.0")
    return root


def test_a_pinned_version_shows_the_inputs_of_its_tag(make_repo, cli):
    root = two_versions_of_late_fees(make_repo)
    result = cli("show", "late-fees@0.1.0", "--repo", str(root))
    assert result.code == 0, result
    assert result.out.startswith("late-fees 0.1.0: ")
    inputs = result.out.split("Inputs:\n", 1)[1].split("\n\n", 1)[0]
    assert "minimum " in inputs and "minimum_fee" not in inputs
    assert "folder          automations/late-fees/ at tag late-fees@0.1.0" in result.out
    assert "late-fees@0.1.0" in result.out.split("Versions (Git tags):\n", 1)[1]
    assert "(shown)" in result.out
    assert "not tagged yet" not in result.out
    assert result.out.rstrip().endswith("autokit run late-fees@0.1.0")
    data = json.loads(cli("show", "late-fees@0.1.0", "--repo", str(root), "--format", "json").out)
    assert (data["version"], data["pinned"], data["folder"]) == (
        "0.1.0",
        True,
        "automations/late-fees",
    )
    assert list(data["inputs"]) == ["minimum"]
    assert data["run_command"] == "autokit run late-fees@0.1.0"


def test_a_pinned_version_that_does_not_exist_is_a_clear_error(make_repo, cli):
    root = two_versions_of_late_fees(make_repo)
    for spec, words in [
        ("late-fees@0.3.0", "versions that exist: 0.1.0"),
        ("late-fees@", "'' is not a version"),
        ("late-fees@1.0", "'1.0' is not a version"),
        ("Late-Fees@0.1.0", "is not an automation name"),
        ("nothing@0.1.0", "no version of nothing is tagged yet"),
    ]:
        result = cli("show", spec, "--repo", str(root))
        assert result.code == 1, (spec, result)
        assert words in result.err, (spec, result.err)
        assert "Traceback" not in result.err
