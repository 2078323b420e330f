"""Running channel jobs after the webhook has answered.

A job is JSON: `{"channel": "slack", "payload": {...}}`. Locally a ThreadDispatcher
runs it in this process; in Lambda the function invokes itself asynchronously
(LambdaSelfInvokeDispatcher) and its door hands the event to `run_channel_job`,
because a Lambda container is frozen as soon as the webhook's response is sent.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import zlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from stratus.shared.exceptions import StratusError

if TYPE_CHECKING:
    from stratus.channels.base import Channel

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]
JobRunner = Callable[[JsonDict], None]
JOB_KEYS = frozenset({"channel", "payload"})


class ChannelJobError(StratusError):
    """A job that names no served channel or carries no payload."""


class AsyncDispatcher(Protocol):
    """Accepts a JSON-serialisable job and returns before it runs."""

    def submit(self, job: JsonDict) -> None: ...


@runtime_checkable
class InProcessDispatcher(Protocol):
    """A dispatcher that runs jobs itself; `include_channels` gives it the runner."""

    def submit(self, job: JsonDict) -> None: ...

    def bind(self, runner: JobRunner) -> None: ...


def run_channel_job(channels: Mapping[str, Channel], job: Mapping[str, Any]) -> None:
    """Run one job on its channel (what a Lambda door calls for a job event)."""
    name = job.get("channel")
    payload = job.get("payload")
    if not isinstance(name, str) or name not in channels:
        served = ", ".join(sorted(channels)) or "none"
        raise ChannelJobError(f"job field 'channel' is {name!r}; served channels: {served}.")
    if not isinstance(payload, dict):
        raise ChannelJobError("job field 'payload' must be an object.")
    try:
        channels[name].process(payload)
    except ValueError as e:
        raise ChannelJobError(str(e)) from None


def is_channel_job(event: Any) -> bool:
    """Whether a Lambda event is a channel job (not an API Gateway request)."""
    return isinstance(event, dict) and set(event) == JOB_KEYS


class ThreadDispatcher:
    """Runs jobs on `workers` daemon threads of this process.

    A conversation's jobs always go to the same worker, so its messages are answered
    in the order they arrived. `drain()` waits until every submitted job has run
    (tests, graceful shutdown). A failing job is logged and does not stop the workers.
    """

    def __init__(self, runner: JobRunner | None = None, *, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._runner = runner
        self._workers = workers
        self._queues: list[queue.Queue[JsonDict]] = [queue.Queue() for _ in range(workers)]
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    def bind(self, runner: JobRunner) -> None:
        """Set the function that runs a job (the app's channels)."""
        self._runner = runner

    def submit(self, job: JsonDict) -> None:
        if self._runner is None:
            raise RuntimeError("ThreadDispatcher has no runner: bind() it first")
        copy = json.loads(json.dumps(job))  # what Lambda would receive
        self._start()
        payload = job.get("payload")
        sender = payload.get("sender_id") if isinstance(payload, dict) else None
        key = f"{job.get('channel')}:{sender}"
        self._queues[zlib.crc32(key.encode()) % self._workers].put(copy)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until the queue is empty and no job is running; False on timeout."""
        done = threading.Event()

        def wait() -> None:
            for jobs in self._queues:
                jobs.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def _start(self) -> None:
        with self._start_lock:
            while len(self._threads) < self._workers:
                jobs = self._queues[len(self._threads)]
                thread = threading.Thread(
                    target=self._work,
                    args=(jobs,),
                    name=f"channel-jobs-{len(self._threads)}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)

    def _work(self, jobs: queue.Queue[JsonDict]) -> None:
        while True:
            job = jobs.get()
            try:
                runner = self._runner
                if runner is not None:
                    runner(job)
            except Exception:
                logger.exception("A channel job for '%s' failed.", job.get("channel"))
            finally:
                jobs.task_done()


class LambdaSelfInvokeDispatcher:
    """Invokes `function_name` asynchronously (InvocationType=Event) with the job.

    `lambda_client` is a boto3 Lambda client made once by the door. Lambda queues the
    event and retries a failed run twice by itself.
    """

    def __init__(self, lambda_client: Any, function_name: str) -> None:
        self.lambda_client = lambda_client
        self.function_name = function_name

    def submit(self, job: JsonDict) -> None:
        response = self.lambda_client.invoke(
            FunctionName=self.function_name,
            InvocationType="Event",
            Payload=json.dumps(job).encode("utf-8"),
        )
        status = int(response.get("StatusCode", 0))
        if status != 202:
            raise ChannelJobError(
                f"Lambda {self.function_name} did not queue the channel job (status {status})."
            )
