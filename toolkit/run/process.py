"""Process supervision: spawn, stream and mask the output, time out, stop the whole tree.

The process starts in a new session (process group); a timeout, Ctrl-C or SIGTERM to
autokit signals that group and every descendant found through /proc (also those that left
the group; see `toolkit.run.tree`), and once the process has exited, whatever it left
behind is killed: nothing it started outlives it.
Both output pipes are read as they fill (never one after the other, which could stall
a chatty process), decoded, masked, written to the log and to the caller's streams.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Literal, TextIO

from toolkit.run.tree import kill_tree, own_children, protect_supervisor, signal_tree
from toolkit.secrets import Masker, StreamMasker

# How long a stopped run's processes get to exit after SIGTERM/SIGINT before SIGKILL.
STOP_GRACE_SECONDS = 2.0
# How long a stopped run's pipes are read for what its processes wrote last.
DRAIN_SECONDS = 1.0

Ending = Literal["finished", "timeout", "cancelled"]
Process = subprocess.Popen[bytes]


class MaskedStream:
    """Decodes one pipe's bytes, masks secrets (also across chunks), writes to its sinks."""

    def __init__(self, masker: Masker, sink: TextIO, log: TextIO) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.masker = StreamMasker(masker)
        self.sink: TextIO | None = sink
        self.log = log

    def write(self, data: bytes) -> None:
        self._emit(self.masker.feed(self.decoder.decode(data)))

    def close(self) -> None:
        self._emit(self.masker.feed(self.decoder.decode(b"", final=True)) + self.masker.flush())

    def _emit(self, text: str) -> None:
        if not text:
            return
        self.log.write(text)
        self.log.flush()
        if self.sink is None:
            return
        try:
            self.sink.write(text)
            self.sink.flush()
        except BrokenPipeError:
            # The reader went away (`autokit run ... | head`). Stopping the automation
            # half-way could leave its data half-updated: it runs on, the log gets it all.
            _discard(self.sink)
            self.sink = None


def _discard(sink: TextIO) -> None:
    """Send what is still written to `sink` (its buffer, the run's summary) to /dev/null."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sink.fileno())
        os.close(devnull)


Streams = dict[int, MaskedStream]


def supervise(
    command: list[str],
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    masker: Masker,
    sinks: tuple[TextIO, TextIO],
    log: TextIO,
    on_start: Callable[[int], None] = lambda pid: None,
    *,
    sandboxed: bool = False,
) -> tuple[Ending, int]:
    """Run `command` in its own process group until it ends; how it ended, and its code.

    `sandboxed`: `command` is bwrap, which a stop leaves alone so that the automation
    inside can end in its own time (bwrap gone, the sandbox's processes die at once).
    """
    # Inside the sandbox the PID namespace holds every process the run starts, and ends
    # them with it; only an unsandboxed run needs the supervisor's own protections.
    before = None if sandboxed else _protected_children()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=dict(env),
        start_new_session=True,
    )
    assert process.stdout is not None and process.stderr is not None
    streams = {
        process.stdout.fileno(): MaskedStream(masker, sinks[0], log),
        process.stderr.fileno(): MaskedStream(masker, sinks[1], log),
    }
    with terminate_raises_interrupt():
        status = _supervised(RunTree(process, before), streams, timeout, on_start)
    for stream in streams.values():
        stream.close()
    process.stdout.close()
    process.stderr.close()
    return status, process.wait()


def _protected_children() -> frozenset[int]:
    protect_supervisor()
    return own_children()


class RunTree:
    """The run's process and everything it started: its group, its descendants, and the
    orphans re-parented to autokit (a subreaper) that were not its children `before`.

    `before` is None for a sandboxed run: its process is bwrap, whose PID namespace holds
    the rest; a stop signals what is inside and leaves bwrap to end in its own time, and
    once bwrap has exited the kernel has ended everything the namespace held.
    """

    def __init__(self, process: Process, before: frozenset[int] | None) -> None:
        self.process = process
        self.before = before

    @property
    def sandboxed(self) -> bool:
        return self.before is None

    def signal(self, signal_number: int) -> None:
        signal_tree(self.process.pid, self.before, signal_number)
        if not self.sandboxed:
            _signal_group(self.process.pid, signal_number)

    def kill_leftovers(self) -> None:
        """Kill everything the run started, descendants before the group they may have left."""
        if self.sandboxed and self.process.poll() is not None:
            return
        kill_tree(self.process.pid, self.before)
        if not self.sandboxed:
            _signal_group(self.process.pid, signal.SIGKILL)


def _supervised(
    tree: RunTree, streams: Streams, timeout: float, on_start: Callable[[int], None]
) -> Ending:
    try:
        on_start(tree.process.pid)  # inside: a Ctrl-C while it records still stops the run
        return _pump(tree, streams, timeout)
    except KeyboardInterrupt:
        stop_tree(tree, signal.SIGINT)
        _drain(streams)
        return "cancelled"
    except BaseException:
        stop_tree(tree, signal.SIGTERM)  # nothing runs on unsupervised
        raise


def _pump(tree: RunTree, streams: Streams, timeout: float) -> Ending:
    """Stream output until the process has exited and its pipes are closed, or time is up."""
    process = tree.process
    deadline = time.monotonic() + timeout
    ended = False
    with _selector(streams) as selector:
        while selector.get_map() or process.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                stop_tree(tree, signal.SIGTERM)
                _drain(streams)
                return "timeout"
            _wait_for_output(process, selector, streams, min(remaining, 0.25))
            if not ended and process.poll() is not None:
                ended = True
                tree.kill_leftovers()  # nothing it started outlives it (nor holds its pipes)
    if not ended:
        tree.kill_leftovers()
    return "finished"


def _selector(streams: Streams) -> selectors.BaseSelector:
    selector = selectors.DefaultSelector()
    for fd in streams:
        selector.register(fd, selectors.EVENT_READ)
    return selector


def _wait_for_output(
    process: Process, selector: selectors.BaseSelector, streams: Streams, seconds: float
) -> None:
    if not selector.get_map():  # the process closed its output but still runs
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(seconds)
        return
    _read_ready(selector, streams, seconds)


def _read_ready(selector: selectors.BaseSelector, streams: Streams, seconds: float) -> None:
    """Read every pipe that has data within `seconds`; forget the ones that closed."""
    for key, _ in selector.select(seconds):
        data = os.read(key.fd, 65536)
        if data:
            streams[key.fd].write(data)
        else:
            selector.unregister(key.fd)


def _drain(streams: Streams) -> None:
    """Read what is left in the pipes once every writer is gone (bounded, never blocks)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    with _selector(streams) as selector:
        while selector.get_map() and time.monotonic() < deadline:
            _read_ready(selector, streams, 0.1)


def stop_tree(tree: RunTree, first_signal: int) -> None:
    """Ask every process of the run to stop, then kill whatever is still there after a grace."""
    tree.signal(first_signal)
    try:
        with contextlib.suppress(subprocess.TimeoutExpired):
            tree.process.wait(STOP_GRACE_SECONDS)
    finally:  # a second Ctrl-C during the grace period kills at once
        tree.kill_leftovers()
        _signal_group(tree.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            tree.process.kill()
    tree.process.wait()


def _signal_group(group: int, signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(group, signal_number)


@contextmanager
def terminate_raises_interrupt() -> Iterator[None]:
    """SIGTERM to autokit (a CI job cancelled) cancels the run like Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
