"""A pool of analysis processes that survives what evidence does to it.

Each worker has its own pipe, so the parent knows which file every worker is on: a worker
that exceeds the per-file time limit is killed and replaced, one that crashes (a decoder
segfault, the memory cap) is replaced, and in both cases only that one file gets an error.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import resource
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from sichter.errors import EvidenceError
from sichter.evidence.model import Payload
from sichter.pipeline.analyse import AnalysisSettings, ContentFacts, Digests, Plan, analyse
from sichter.pipeline.stages import registry
from sichter.signals.image import opencv, single_threaded_blas


@dataclass(frozen=True)
class Task:
    key: Any
    payload: Payload
    timeout_s: float


@dataclass
class Outcome:
    key: Any
    facts: ContentFacts | None
    error: str | None


def _worker_main(conn: Connection, settings: AnalysisSettings, memory_cap: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    if memory_cap > 0:
        # Where the platform refuses the cap, the pixel limit still bounds decoding.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))
    # Import every stage module before the first file, so that their start-up (model
    # runtimes, indexes) does not count against any one file's time limit; likewise OpenCV,
    # which every resize uses, and the one-thread limits on it and on NumPy's BLAS.
    registry()
    opencv()
    single_threaded_blas()
    conn.send(("ready",))
    while True:
        message = conn.recv()
        if message is None:
            return
        key, payload = message

        def is_new(digests: Digests, key: Any = key) -> Plan:
            conn.send(("digests", key, digests))
            answer: Plan = conn.recv()
            return answer

        try:
            facts = analyse(payload, settings, is_new)
            conn.send(("done", key, facts, None))
        except EvidenceError as exc:
            conn.send(("done", key, None, str(exc)))
        except MemoryError:
            conn.send(("done", key, None, "analysis needed more memory than a worker may use"))


class _Worker:
    def __init__(self, ctx: Any, settings: AnalysisSettings, memory_cap: int) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.conn: Connection = parent
        self.process = ctx.Process(target=_worker_main, args=(child, settings, memory_cap),
                                   daemon=True, name="sichter-worker")
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.started = 0.0
        self.ready = False  # set when the worker has imported its stages

    def assign(self, task: Task) -> None:
        self.task = task
        self.started = time.monotonic()
        self.conn.send((task.key, task.payload))

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """Runs tasks on ``size`` processes; ``decide`` answers a worker's "is this content new?"."""

    def __init__(self, size: int, settings: AnalysisSettings, decide: Callable[[Any, Digests], Plan],
                 memory_cap: int = 0) -> None:
        self._ctx = mp.get_context("forkserver" if os.name == "posix" else "spawn")
        self._settings = settings
        self._memory_cap = memory_cap
        self._decide = decide
        self._workers = [self._spawn() for _ in range(max(1, size))]
        self._queue: deque[Task] = deque()

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, self._settings, self._memory_cap)

    @property
    def size(self) -> int:
        return len(self._workers)

    def submit(self, task: Task) -> None:
        self._queue.append(task)

    @property
    def pending(self) -> int:
        return len(self._queue) + sum(1 for w in self._workers if w.task is not None)

    def poll(self, timeout: float = 0.05) -> Iterator[Outcome]:
        """Hand out queued tasks, then yield whatever finished within ``timeout`` seconds."""
        for worker in self._workers:
            if worker.ready and worker.task is None and self._queue:
                worker.assign(self._queue.popleft())
        busy = {id(w.conn): w for w in self._workers if w.task is not None or not w.ready}
        if not busy:
            return
        for conn in wait([w.conn for w in busy.values()], timeout=timeout):
            worker = busy[id(conn)]
            outcome = self._receive(worker)
            if outcome is not None:
                yield outcome
        now = time.monotonic()
        for worker in self._workers:
            task = worker.task
            if task is not None and now - worker.started > task.timeout_s:
                yield self._replace(worker, f"timed out after {task.timeout_s:.3g} s (per-file limit)")

    def _receive(self, worker: _Worker) -> Outcome | None:
        if not worker.ready:
            try:
                worker.conn.recv()  # ("ready",)
            except (EOFError, OSError) as exc:
                raise RuntimeError("an analysis worker died while starting") from exc
            worker.ready = True
            return None
        task = worker.task
        assert task is not None
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            code = worker.process.exitcode
            worker.process.join(timeout=1)
            code = worker.process.exitcode if code is None else code
            reason = (f"analysis crashed (signal {-code})" if code is not None and code < 0
                      else "analysis process ended unexpectedly")
            return self._replace(worker, reason)
        if message[0] == "digests":
            worker.conn.send(self._decide(task.key, message[2]))
            return None
        _, key, facts, error = message
        worker.task = None
        return Outcome(key, facts, error)

    def _replace(self, worker: _Worker, reason: str) -> Outcome:
        task = worker.task
        assert task is not None
        worker.kill()
        index = self._workers.index(worker)
        self._workers[index] = self._spawn()
        return Outcome(task.key, None, reason)

    def close(self) -> None:
        for worker in self._workers:
            try:
                if worker.task is None:
                    worker.conn.send(None)
            except (BrokenPipeError, OSError):
                pass  # already gone; killed below
        for worker in self._workers:
            worker.process.join(timeout=2)
            worker.kill()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
