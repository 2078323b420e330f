"""Training the dialogue policies in a second process while the NLU pipeline trains.

DIET and TED are independent (TED's end-to-end features are its own bag of words), and
each trains on one thread (threads.py), so on a machine with two or more cores the
dialogue part runs beside NLU instead of after it: moodbot's default config trains in
the time of its NLU part plus a process start.

The child is a fresh interpreter (`python -m stratus_train.background`), not a fork (a
forked TensorFlow runtime deadlocks) nor multiprocessing's spawn (which re-runs the
caller's main script, so a script calling `train()` without a main guard would train
again in the child). It reads its inputs as one pickle on stdin, writes `core/` into the
same model directory and reports on a pipe of its own (stdout and stderr stay free for
TensorFlow's logs): progress lines, which reach the caller's `progress` interleaved with
the NLU's, then "done" or its error, which the parent raises at its next progress line,
so a contradicting rule does not wait for DIET to finish.

    core = CoreInBackground.start(domain, stories, rules, config, model_dir)
    train_nlu(progress=core.relaying(progress))
    core.wait(progress)
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from stratus.shared.config import ProjectConfig
from stratus.shared.domain import Domain
from stratus.shared.exceptions import StratusError
from stratus.shared.training_data.stories import Rule, Story

Progress = Callable[[str], None]
# `STRATUS_TRAINING_PROCESSES=1` trains everything in one process, one part after the other.
PROCESSES_ENV = "STRATUS_TRAINING_PROCESSES"
_POLL_SECONDS = 0.5
_FRAME = struct.Struct("!I")  # length prefix of each pickled message on the report pipe


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def wanted(config: ProjectConfig) -> bool:
    """Whether the dialogue part is worth a process of its own: a neural policy to train
    and a spare core (rules and memoization alone train in milliseconds)."""
    from stratus_train.core.train import ML_POLICIES  # keeps this module light

    if os.environ.get(PROCESSES_ENV, "").strip() == "1":
        return False
    neural = any(p.get("name") in ML_POLICIES for p in config.policies)
    return neural and usable_cores() >= 2


class CoreTrainingError(StratusError):
    """The dialogue training process failed without an error it could send back."""


class CoreInBackground:
    """A child process training `core/`; see the module docstring."""

    def __init__(self, process: subprocess.Popen[bytes], reports: IO[bytes]) -> None:
        self._process = process
        self._messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._finished = False
        threading.Thread(target=self._read, args=(reports,), daemon=True).start()

    @classmethod
    def start(
        cls,
        domain: Domain,
        stories: Sequence[Story],
        rules: Sequence[Rule],
        config: ProjectConfig,
        model_dir: Path,
    ) -> CoreInBackground:
        inputs = pickle.dumps((domain, list(stories), list(rules), config, model_dir))
        read_end, write_end = os.pipe()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "stratus_train.background", str(write_end)],
                stdin=subprocess.PIPE,
                pass_fds=(write_end,),
            )
        finally:
            os.close(write_end)
        stdin = process.stdin
        assert stdin is not None

        def feed() -> None:  # the child reads it at once; the parent need not wait
            try:
                stdin.write(inputs)
                stdin.close()
            except OSError:  # the child died first: reported by its exit code
                pass

        threading.Thread(target=feed, daemon=True).start()
        return cls(process, os.fdopen(read_end, "rb"))

    def relaying(self, progress: Progress) -> Progress:
        """`progress` that first passes on the child's lines and raises its error."""

        def relay(line: str) -> None:
            self._drain(progress, block=False)
            progress(line)

        return relay

    def wait(self, progress: Progress) -> None:
        """Pass on the child's lines until it has finished; raise its error, if any."""
        while not self._finished:
            self._drain(progress, block=True)

    def stop(self) -> None:
        """End the child (the parent failed, so nobody wants its model)."""
        if self._process.poll() is None:
            self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()

    def _read(self, reports: IO[bytes]) -> None:
        """Reader thread: frames from the report pipe into the queue, then ("eof", None)."""
        with reports:
            while header := reports.read(_FRAME.size):
                if len(header) < _FRAME.size:
                    break
                (size,) = _FRAME.unpack(header)
                body = reports.read(size)
                if len(body) < size:
                    break
                self._messages.put(pickle.loads(body))
        self._messages.put(("eof", None))

    def _drain(self, progress: Progress, block: bool) -> None:
        while not self._finished:
            try:
                kind, payload = self._messages.get(timeout=_POLL_SECONDS if block else 0)
            except queue.Empty:
                if block:
                    continue
                return
            if kind == "progress":
                progress(payload)
                continue
            self._finished = True
            code = self._process.wait()
            if kind == "error":
                raise _received_error(payload)
            if kind == "eof":  # the pipe closed without a result: the child died
                raise CoreTrainingError(
                    f"training the dialogue policies stopped without a result (exit code "
                    f"{code}); set {PROCESSES_ENV}=1 to train in one process and see why"
                )
            return


def _received_error(payload: tuple[bytes | None, str, str]) -> BaseException:
    pickled, name, text = payload
    if pickled is not None:
        try:
            error = pickle.loads(pickled)
        except Exception:  # an error that cannot be rebuilt is named below
            error = None
        if isinstance(error, BaseException) and str(error) == text:
            return error
    return CoreTrainingError(f"{name}: {text}")


def _child(report_fd: int) -> int:
    """The child's side: train from the pickled inputs on stdin, report on `report_fd`."""
    reports = os.fdopen(report_fd, "wb")

    def send(kind: str, payload: Any) -> None:
        body = pickle.dumps((kind, payload))
        reports.write(_FRAME.pack(len(body)) + body)
        reports.flush()

    try:
        domain, stories, rules, config, model_dir = pickle.load(sys.stdin.buffer)
        from stratus_train.core import train_core

        train_core(domain, stories, rules, config, model_dir, lambda line: send("progress", line))
    except BaseException as error:  # every failure goes back to the parent
        try:
            pickled: bytes | None = pickle.dumps(error)
        except Exception:  # not picklable: its type name and text go instead
            pickled = None
        send("error", (pickled, type(error).__name__, str(error)))
        return 1
    send("done", None)
    return 0


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1])))
