from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import RealUserFiles, build_tree, commit_all, git

from toolkit.cli import main
from toolkit.paths import cache_home, state_home

# Read before any test changes the environment: where this user's autokit keeps its
# state and caches, and their Git config. No test may write there.
REAL_USER_FILES = RealUserFiles([state_home(), cache_home(), Path.home() / ".gitconfig"])

# Where tools following the XDG spec keep their files, inside the test's HOME: the same
# places as when these are unset, so a developer's own settings never leak in.
XDG_FOLDERS = {
    "XDG_CACHE_HOME": ".cache",
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
}


def point_into(base: Path, cache: Path, patch: pytest.MonkeyPatch) -> None:
    """HOME, the XDG folders, Git's config and autokit's state under `base`; caches in `cache`."""
    home = base / "home"
    home.mkdir(exist_ok=True)
    patch.setenv("HOME", str(home))
    for variable, folder in XDG_FOLDERS.items():
        patch.setenv(variable, str(home / folder))
    patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    patch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    patch.setenv("GIT_AUTHOR_NAME", "Test Author")
    patch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    patch.setenv("GIT_COMMITTER_NAME", "Test Committer")
    patch.setenv("GIT_COMMITTER_EMAIL", "committer@example.com")
    patch.setenv("AUTOKIT_HOME", str(base / "autokit-home"))
    patch.setenv("AUTOKIT_CACHE_DIR", str(cache))
    patch.delenv("NO_COLOR", raising=False)
    patch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture(scope="session", autouse=True)
def dont_write_to_real_user_files(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RealUserFiles]:
    """Stop writes to the real user's files, and isolate module and session fixtures too.

    Fixtures wider than a test run before `isolated_environment`: they get a HOME of
    their own for the whole session.
    """
    REAL_USER_FILES.install()
    with pytest.MonkeyPatch.context() as patch:
        base = tmp_path_factory.mktemp("session")
        point_into(base, tmp_path_factory.getbasetemp() / "cache", patch)
        yield REAL_USER_FILES
    REAL_USER_FILES.active = False


@pytest.fixture
def real_user_files(dont_write_to_real_user_files: RealUserFiles) -> RealUserFiles:
    return dont_write_to_real_user_files


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Keep each test away from the user's Git config, run history and caches.

    Fails the test when it wrote to the real user's files anyway, even where the code
    caught the error that stopped the write.
    """
    point_into(tmp_path, tmp_path_factory.getbasetemp() / "cache", monkeypatch)
    yield
    if REAL_USER_FILES.violations:
        violations = "\n".join(REAL_USER_FILES.violations)
        REAL_USER_FILES.violations.clear()
        pytest.fail(f"this test wrote to the real user's files:\n{violations}", pytrace=False)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Build a Git repository from a dict of files and commit it on `main`."""

    def make(files: dict[str, str | bytes], *, name: str = "repo", commit: bool = True) -> Path:
        root = tmp_path / name
        (root / "automations").mkdir(parents=True)
        build_tree(root, files)
        git(root, "init", "-q", "-b", "main")
        if commit:
            commit_all(root, "initial")
        return root

    return make


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., CliResult]]:
    """Run `autokit` in-process: `cli("validate", "--repo", str(root))`."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    yield run
