"""What counts as a saving, on real runs: kinds, units, minutes, and the metadata behind them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers import automation_files, commit_all, invoice_automation_files, metadata

from toolkit.history import open_history

PER_INVOICE = invoice_automation_files(default=3)["automations/reminders/main.py"]


def invoice_repo(make_repo, **overrides) -> Path:
    return make_repo(invoice_automation_files(default=3, example=2, **overrides))


def last_run():
    with open_history() as history:
        return history.find(limit=1)[0]


def test_a_real_run_counts_its_units_and_the_summary_says_what_it_saved(make_repo, cli) -> None:
    root = invoice_repo(make_repo)
    result = cli("run", "reminders", "-i", "invoices=14", "--repo", str(root))
    assert result.code == 0, result
    run = last_run()
    assert (run.kind, run.counts, run.units, run.unit) == ("real", True, 14.0, "invoice")
    assert run.minutes_saved == 5 + 3 * 14
    assert "saved:      47 minutes for 14 invoices" in result.err
    assert run.run_trigger == "manual" and run.place and run.repository == str(root)


@pytest.mark.parametrize(
    ("arguments", "kind", "why"),
    [
        (("--example",), "example", "an example run (--example) shows how it works"),
        (("-i", "dry_run=true"), "rehearsal", "a rehearsal (dry_run was set): it changed nothing"),
    ],
)
def test_examples_and_rehearsals_save_nothing(make_repo, cli, arguments, kind, why) -> None:
    root = invoice_repo(make_repo)
    result = cli("run", "reminders", *arguments, "--repo", str(root))
    assert result.code == 0, result
    run = last_run()
    assert (run.kind, run.counts, run.minutes_saved) == (kind, False, 0.0)
    assert f"nothing counted ({why})" in result.err


def test_the_rehearsal_input_can_have_any_name(make_repo, cli) -> None:
    root = make_repo(
        automation_files(
            "tidy",
            inputs={"preview": {"type": "boolean", "description": "Only show", "default": True}},
            rehearsal_input="preview",
            examples=[],
        )
    )
    (root / "automations/tidy/main.py").write_text("def main(preview=True):\n    return {}\n")
    commit_all(root)
    assert cli("run", "tidy", "--repo", str(root)).code == 0  # preview defaults to true
    assert last_run().kind == "rehearsal"
    assert cli("run", "tidy", "-i", "preview=false", "--repo", str(root)).code == 0
    assert (last_run().kind, last_run().counts) == ("real", True)


def test_uncommitted_changes_and_failures_are_real_runs_that_do_not_count(make_repo, cli) -> None:
    root = invoice_repo(make_repo)
    main = root / "automations/reminders/main.py"
    main.write_text(PER_INVOICE + "\n# an edit nobody reviewed\n")
    result = cli("run", "reminders", "--repo", str(root))
    assert (last_run().kind, last_run().dirty, last_run().counts) == ("real", True, False)
    assert "it ran uncommitted changes" in result.err
    main.write_text("def main(**inputs):\n    raise RuntimeError('no invoices today')\n")
    commit_all(root)
    assert cli("run", "reminders", "--repo", str(root)).code == 1
    assert (last_run().status, last_run().counts, last_run().minutes_saved) == (
        "failed",
        False,
        0.0,
    )


def test_runs_started_by_autokit_test_are_test_runs(make_repo, cli, monkeypatch) -> None:
    root = invoice_repo(make_repo)
    monkeypatch.setenv("AUTOKIT_RUN_KIND", "test")  # what `autokit test` gives its tests
    assert cli("run", "reminders", "--repo", str(root)).code == 0
    assert (last_run().kind, last_run().counts) == ("test", False)


def shell_repo(make_repo, script: str) -> Path:
    files = automation_files(
        "count",
        runtime="shell",
        entrypoint="run.sh",
        inputs={},
        examples=[],
        time_saved={"minutes": 2, "per": "row"},
        time_saved_minutes=None,
    )
    del files["automations/count/main.py"]
    files["automations/count/run.sh"] = script
    return make_repo(files)


def test_a_shell_automation_reports_units_through_its_units_file(make_repo, cli) -> None:
    root = shell_repo(make_repo, 'echo "12" > "$AUTOKIT_UNITS_FILE"\n')
    assert cli("run", "count", "--repo", str(root)).code == 0, last_run()
    assert (last_run().units, last_run().minutes_saved) == (12.0, 24.0)


@pytest.mark.parametrize(
    "written",
    ["lots", "-4", "1e12", "nan", "true"],
    ids=["text", "negative", "absurd", "nan", "bool"],
)
def test_units_that_are_not_a_count_are_ignored_with_a_warning(make_repo, cli, written) -> None:
    root = shell_repo(make_repo, f'printf %s "{written}" > "$AUTOKIT_UNITS_FILE"\n')
    result = cli("run", "count", "--repo", str(root))
    assert result.code == 0  # the work was done; only its count is unknown
    assert (last_run().units, last_run().minutes_saved) == (None, 0.0)
    assert "does not hold a number of units" in result.err
    assert written not in result.err.split("units file")[1].splitlines()[0]


def test_a_python_automation_returning_bad_units_is_warned(make_repo, cli) -> None:
    root = invoice_repo(make_repo)
    (root / "automations/reminders/main.py").write_text(
        "def main(**inputs):\n    return {'units': 'many'}\n"
    )
    commit_all(root)
    result = cli("run", "reminders", "--repo", str(root))
    assert result.code == 0 and "the returned mapping's `units`" in result.err
    assert (last_run().units, last_run().minutes_saved) == (None, 5.0)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"rehearsal_input": "dry"}, "rehearsal_input: 'dry' is not a declared input"),
        ({"rehearsal_input": "greeting"}, "'greeting' is an input of type string, not boolean"),
        ({"time_saved": {"minutes": 3}}, "time_saved.per"),
        ({"time_saved": {"minutes": 5000, "per": "invoice"}}, "time_saved.minutes"),
        ({"time_saved": {"minutes": 3, "per": "Invoice!"}}, "time_saved.per"),
        ({"time_saved": 3}, "time_saved"),
    ],
)
def test_bad_saving_metadata_is_an_error_at_its_line(make_repo, cli, fields, expected) -> None:
    root = make_repo(automation_files("hello"))
    data = metadata("hello", **fields)
    (root / "automations/hello/automation.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    result = cli("validate", "--repo", str(root), "--format", "json")
    assert result.code == 1
    findings = json.loads(result.out)["findings"]
    messages = [f"{f['field']}: {f['message']}" for f in findings]
    assert any(expected in m for m in messages), messages
    assert all(f["line"] for f in findings)
