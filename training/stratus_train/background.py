"""Training the dialogue policies in a second process while the NLU pipeline trains.

DIET and TED are independent (TED's end-to-end features are its own bag of words), and
each trains on one thread (threads.py), so on a machine with two or more cores the
dialogue part runs beside NLU instead of after it: moodbot's default config trains in
the time of its NLU part plus a process start. The child is spawned (never forked: a
forked TensorFlow runtime deadlocks), imports TensorFlow itself and writes `core/` into
the same model directory; its progress lines reach the caller's `progress` in order,
interleaved with the NLU's, and its error, if any, is raised in the parent at the next
progress line, so a contradicting rule does not wait for DIET to finish.

    core = CoreInBackground.start(domain, stories, rules, config, model_dir)
    train_nlu(progress=core.relaying(progress))
    core.wait(progress)
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from stratus.shared.config import ProjectConfig
from stratus.shared.domain import Domain
from stratus.shared.exceptions import StratusError
from stratus.shared.training_data.stories import Rule, Story

Progress = Callable[[str], None]
# `STRATUS_TRAINING_PROCESSES=1` trains everything in one process, one part after the other.
PROCESSES_ENV = "STRATUS_TRAINING_PROCESSES"
_POLL_SECONDS = 0.5


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

    def __init__(self, process: BaseProcess, messages: Any) -> None:
        self._process = process
        self._messages = messages
        self._error: BaseException | None = None
        self._finished = False

    @classmethod
    def start(
        cls,
        domain: Domain,
        stories: Sequence[Story],
        rules: Sequence[Rule],
        config: ProjectConfig,
        model_dir: Path,
    ) -> CoreInBackground:
        context = multiprocessing.get_context("spawn")
        messages = context.Queue()
        process = context.Process(
            target=_train_core_child,
            args=(messages, domain, list(stories), list(rules), config, model_dir),
            name="stratus-train-core",
            daemon=True,
        )
        process.start()
        return cls(process, messages)

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
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=10)

    def _drain(self, progress: Progress, block: bool) -> None:
        while not self._finished:
            try:
                kind, payload = self._messages.get(timeout=_POLL_SECONDS if block else 0)
            except queue.Empty:
                if self._process.is_alive():
                    if block:
                        continue
                    return
                try:  # it may have put its last message just before exiting
                    kind, payload = self._messages.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    self._finished = True
                    self._process.join()
                    raise CoreTrainingError(
                        "training the dialogue policies stopped without a result (exit "
                        f"code {self._process.exitcode}); set {PROCESSES_ENV}=1 to train "
                        "in one process and see its error"
                    ) from None
            if kind == "progress":
                progress(payload)
                continue
            self._finished = True
            self._process.join()
            if kind == "error":
                raise _received_error(payload)
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


def _train_core_child(
    messages: Any,
    domain: Domain,
    stories: list[Story],
    rules: list[Rule],
    config: ProjectConfig,
    model_dir: Path,
) -> None:
    def progress(line: str) -> None:
        messages.put(("progress", line))

    try:
        from stratus_train.core import train_core

        train_core(domain, stories, rules, config, model_dir, progress)
    except BaseException as error:  # every failure goes back to the parent
        try:
            pickled: bytes | None = pickle.dumps(error)
        except Exception:  # not picklable: its type name and text go instead
            pickled = None
        messages.put(("error", (pickled, type(error).__name__, str(error))))
    else:
        messages.put(("done", None))
    messages.close()
    messages.join_thread()
