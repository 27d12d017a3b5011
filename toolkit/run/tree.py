"""The supervisor's own protections, and finding every process a run started.

A process group is not enough to end a run's processes: a grandchild that calls
`setsid()` or double-forks leaves it. On Linux the supervisor therefore becomes a child
subreaper (`PR_SET_CHILD_SUBREAPER`): an orphaned descendant is re-parented to it rather
than to init, so walking the parent links of `/proc` from the supervisor finds every one
of them. It also makes itself non-dumpable (`PR_SET_DUMPABLE 0`): `/proc/<pid>/environ`
of a non-dumpable process is readable by root only, so a child running as the same user
cannot read the caller's whole environment through its parent. Inside the bubblewrap
sandbox the PID namespace does both jobs; these are the protections without it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
from typing import NamedTuple

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37
KILL_ROUNDS = 20  # a process forking while it is being killed gets another round


class Protections(NamedTuple):
    """Which of the supervisor's own protections this process holds."""

    subreaper: bool
    non_dumpable: bool


@functools.cache
def protect_supervisor() -> Protections:
    """Become a child subreaper and non-dumpable (Linux); once per process."""
    if not sys.platform.startswith("linux"):
        return Protections(subreaper=False, non_dumpable=False)
    return Protections(
        subreaper=_prctl(PR_SET_CHILD_SUBREAPER, 1),
        non_dumpable=_prctl(PR_SET_DUMPABLE, 0),
    )


def _prctl(option: int, value: int) -> bool:
    import ctypes  # only where there is no sandbox: off the sandboxed run's start-up

    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the running program links libc
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def parents() -> dict[int, int]:
    """Every live process's parent, from `/proc/<pid>/stat` (empty where there is no /proc)."""
    links: dict[int, int] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return links
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                stat = file.read()
        except OSError:
            continue  # it ended meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and fields[0] != b"Z":
            links[int(entry)] = int(fields[1])
    return links


def descendants(root: int, links: dict[int, int] | None = None) -> list[int]:
    """The live descendants of `root`, parents before their children."""
    links = parents() if links is None else links
    children: dict[int, list[int]] = {}
    for pid, parent in links.items():
        children.setdefault(parent, []).append(pid)
    found: list[int] = []
    pending = list(children.get(root, []))
    while pending:
        pid = pending.pop(0)
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def adopted(before: frozenset[int], exclude: int, links: dict[int, int] | None = None) -> list[int]:
    """This process's children (orphans re-parented to it) that were not there `before`,
    other than `exclude` (the run's own process), with their descendants."""
    links = parents() if links is None else links
    me = os.getpid()
    mine = [p for p, parent in links.items() if parent == me and p not in before and p != exclude]
    found = list(mine)
    for pid in mine:
        found.extend(descendants(pid, links))
    return found


def own_children() -> frozenset[int]:
    me = os.getpid()
    return frozenset(p for p, parent in parents().items() if parent == me)


def tree_of(root: int, before: frozenset[int] | None) -> list[int]:
    """The descendants of `root` and, unless `before` is None, the orphans adopted since
    `before` (not `root` itself), from one scan of /proc."""
    links = parents()
    found = descendants(root, links)
    return found if before is None else [*found, *adopted(before, root, links)]


def signal_tree(root: int, before: frozenset[int] | None, signal_number: int) -> None:
    """Send `signal_number` to what `tree_of` finds."""
    for pid in tree_of(root, before):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal_number)


def kill_tree(root: int, before: frozenset[int] | None) -> None:
    """SIGKILL what `tree_of` finds until nothing is left, and reap the orphans this process
    adopted (the run's own process is its caller's to reap)."""
    for _ in range(KILL_ROUNDS):
        targets = tree_of(root, before)
        if not targets:
            break
        for pid in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        _reap(before, root)
    _reap(before, root)


def _reap(before: frozenset[int] | None, exclude: int) -> None:
    """Collect the exit status of adopted orphans, so none stays a zombie of autokit."""
    if before is None:
        return
    me = os.getpid()
    for pid in _zombie_children(me):
        if pid in before or pid == exclude:
            continue
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def _zombie_children(me: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{me}/task")
    except OSError:
        return []
    pids: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{me}/task/{task}/children", encoding="ascii") as file:
                pids.extend(int(p) for p in file.read().split())
        except (OSError, ValueError):
            continue
    return pids
