"""A month in miniature: two people on two clones and a scheduled job on GitHub run
automations (real, dry, example and rehearsal runs), send their records to the shared
ledger, and the catalog built from a third clone shows exactly the counted runs and
minutes. Every step is the real command on real Git: a bare origin and three clones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from catalog_repo import site_files
from helpers import automation_files, build_tree, git, invoice_automation_files

PROJECT = Path(__file__).resolve().parents[1]


def shop_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    files.update(automation_files("greeter", time_saved_minutes=10, department="sales"))
    files.update(invoice_automation_files(department="finance", schedule="0 8 * * 1-5"))
    return files


class Person:
    """Someone with a clone and a machine of their own (their own run history)."""

    def __init__(self, base: Path, name: str, clone: Path, extra: dict[str, str] | None = None):
        home = base / f"{clone.name}-machine"
        home.mkdir()
        self.clone = clone
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "AUTOKIT_HOME": str(home / "autokit"),
            "AUTOKIT_CACHE_DIR": str(home / "cache"),
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": f"{name.split()[0].lower()}@example.com",
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": "committer@example.com",
            **(extra or {}),
        }

    def autokit(self, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "toolkit", *args],
            cwd=self.clone,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return done


def clone(origin: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(where)], check=True)
    return where


def test_a_month_in_miniature(tmp_path: Path) -> None:
    # The shop: a repository on a bare origin.
    upstream = tmp_path / "upstream"
    build_tree(upstream, shop_files())
    site_files(upstream)
    git(upstream, "init", "-q", "-b", "main")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "the shop")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(upstream), str(origin)], check=True)

    # Ann, on her laptop: two real runs, an example, a dry run, a rehearsal and a real
    # run of four invoices; then she sends her runs.
    ann = Person(tmp_path, "Ann Accounts", clone(origin, tmp_path / "ann"))
    ann.autokit("run", "greeter")
    ann.autokit("run", "greeter", "-i", "greeting=team")
    ann.autokit("run", "greeter", "--example")
    ann.autokit("run", "reminders", "--dry-run")  # runs nothing, recorded nowhere
    ann.autokit("run", "reminders", "-i", "dry_run=true", "-i", "invoices=9")
    ann.autokit("run", "reminders", "-i", "invoices=4")
    assert "sent 5 run records" in ann.autokit("runs", "push").stdout

    # Bob, on his: shares each run as it ends (share_runs), one real run of two invoices,
    # an example of reminders, and a run of a working tree he changed without committing.
    bob = Person(tmp_path, "Bob Billing", clone(origin, tmp_path / "bob"))
    pyproject = bob.clone / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "share_runs = true\n")
    git(bob.clone, "commit", "-q", "-am", "share runs")
    assert "shared 1 run record" in bob.autokit("run", "reminders", "-i", "invoices=2").stderr
    bob.autokit("run", "reminders", "--example")
    main = bob.clone / "automations/greeter/main.py"
    main.write_text(main.read_text() + "# trying something\n")
    uncommitted = bob.autokit("run", "greeter")
    assert "nothing counted (it ran uncommitted changes" in uncommitted.stderr

    # The scheduled job on GitHub: the run job exports its record, the ledger job (a clone
    # of main that runs no automation) sends it.
    actions = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "schedule",
        "AUTOKIT_TRIGGER": "schedule",
        "GITHUB_RUN_ID": "7001",
        "GITHUB_REPOSITORY": "shop/autokit",
        "GITHUB_SERVER_URL": "https://github.invalid",
        "GITHUB_ACTOR": "ann",
    }
    job = Person(tmp_path, "runner", clone(origin, tmp_path / "job"), actions)
    job.autokit("run", "reminders", "-i", "invoices=5")
    run_id = json.loads(job.autokit("runs", "--limit", "1", "--format", "json").stdout)["runs"][0][
        "id"
    ]
    artifact = tmp_path / "artifact"
    artifact.mkdir()
    (artifact / f"{run_id}.json").write_text(job.autokit("runs", "export", run_id).stdout)
    writer = Person(tmp_path, "ledger job", clone(origin, tmp_path / "ledger-job"), actions)
    assert "sent 1 run record" in writer.autokit("runs", "push", "--records", str(artifact)).stdout

    # Someone else builds the catalog from a fresh clone.
    reader = Person(tmp_path, "Cleo Catalog", clone(origin, tmp_path / "reader"))
    site = tmp_path / "site"
    reader.autokit("catalog", "build", "--site-dir", str(site))
    catalog = {a["name"]: a for a in json.loads((site / "catalog.json").read_text())["automations"]}

    # greeter: Ann's two real runs count (10 min each); the example does not; Bob's run of
    # uncommitted files is a real run that does not count.
    greeter = catalog["greeter"]["runs"]
    assert greeter["last_30_days"] == 3
    assert greeter["success_rate_30_days"] == 1.0
    assert greeter["hours_saved_30_days"] == greeter["hours_saved_total"] == round(20 / 60, 2)
    # reminders: Ann's 4 invoices, Bob's 2 and the schedule's 5 count (5 min a run + 3 a
    # invoice); the rehearsal, the example and the dry run do not.
    reminders = catalog["reminders"]["runs"]
    assert reminders["last_30_days"] == 3
    minutes = (5 + 3 * 4) + (5 + 3 * 2) + (5 + 3 * 5)
    assert reminders["hours_saved_total"] == round(minutes / 60, 2)
    assert reminders["last_run"]["status"] == "success"

    # The scheduled run is in the ledger as the schedule's, at the GitHub run's address.
    everyone = json.loads(reader.autokit("runs", "--everyone", "--format", "json").stdout)
    by_trigger = {r["trigger"]: r for r in everyone["runs"]}
    assert (
        by_trigger["schedule"]["where"] == "https://github.invalid/shop/autokit/actions/runs/7001"
    )
    assert by_trigger["schedule"]["who"] is None
    assert {r["who"] for r in everyone["runs"]} == {"Ann Accounts", "Bob Billing", None}
    assert len(everyone["runs"]) == 9  # 5 of Ann's, 3 of Bob's, 1 scheduled; no dry run

    # The report over everyone's runs tells the same.
    report = json.loads(reader.autokit("report", "--format", "json").stdout)
    totals = {g["group"]: g for g in report["groups"]}
    assert totals["reminders"]["counted"] == 3
    assert round(totals["reminders"]["hours_saved"], 2) == round(minutes / 60, 2)
    shutil.rmtree(site)
