"""Parallel writing into one generation: the main process feeds worker processes.

`IndexFeeder` is the only object that writes documents. With ``workers=1`` it is
one `indexer.whoosh.fixes.FastSegmentWriter` (Whoosh's ``SegmentWriter`` with
Broadsheet's fast paths) in this process. With ``workers=N`` it starts N worker
processes (``spawn``: they inherit no lock and no open index file), each owning
its own writer that analyses documents and writes one segment; the main process
reads and parses the sources and sends documents in batches over a bounded
queue. On commit the main process writes one TOC that lists the existing
segments (with its own deletions and merges) plus every worker's segment, which
is Whoosh's ``multisegment`` commit (`FastSegmentWriter.commit_with`, the steps
``whoosh.multiproc.MpWriter`` takes).

A build from nothing also counts each document's words for the spelling model in
the worker that indexes it; a worker sends its counts before it writes its
segment, and the main process folds them while the segments are written.

Memory is bounded by ``limit_mb`` per writer (Whoosh flushes a sorted run to a
temp file when its posting pool reaches it) plus ``QUEUE_BATCHES_PER_WORKER``
batches of ``batch_size`` documents in flight. Peak RSS is about
``workers x (limit_mb + ~120 MB)`` plus the reader process, plus, in a build from
nothing, each worker's word counts for the spelling model (at most
`indexer.word_counts.MAX_HELD_PAIRS` pairs, 16 bytes each, and the words): a
1,000,000-article build peaked at 2.5 GB with 2 workers, 2.2 GB before they counted.

Workers exit by themselves when the main process dies (Linux parent-death
signal, plus a parent-pid check every second), so ``kill -9`` of a build leaves
no orphan behind.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import queue
import signal
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from indexer.errors import IndexerError
from indexer.whoosh.fixes import FastSegmentWriter
from indexer.word_counts import CounterState, WordCounter

#: Batches of documents waiting per worker; with ``batch_size`` this bounds memory.
QUEUE_BATCHES_PER_WORKER = 2
DEFAULT_BATCH_SIZE = 100
_POLL_SECONDS = 0.5


class WorkerFailed(IndexerError, RuntimeError):
    """A worker process raised or died; the generation being written is abandoned."""


def default_workers() -> int:
    """One worker per CPU available to this process (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - non-Linux
        pass


def spelling_texts(batch: list[dict[str, Any]]) -> list[str]:
    """The title and body of each document of ``batch``, as the spelling model counts
    them (`indexer.spelling_model.write_spelling_model`: two strings per article)."""
    texts: list[str] = []
    for document in batch:
        texts += (document.get("title", ""), document.get("body", ""))
    return texts


def _worker_main(
    generation: str,
    limit_mb: int,
    jobs: Any,
    results: Any,
    parent_pid: int,
    count_words: bool = False,
) -> None:
    """Body of a worker process: add every batch from ``jobs`` (counting its words for
    the spelling model when ``count_words``), then write a segment."""
    _die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    from whoosh import index as whoosh_index

    try:
        ix = whoosh_index.open_dir(generation)
        writer = FastSegmentWriter(ix, _lk=False, limitmb=limit_mb)
        counter = WordCounter() if count_words else None
        count = 0
        while True:
            try:
                batch = jobs.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent_pid:
                    os._exit(1)
                continue
            if batch is None:
                break
            for document in batch:
                writer.add_document(**document)
            if counter is not None:
                counter.add(spelling_texts(batch))
            count += len(batch)
            # What was pooled so far lives until the segment is written: keep the
            # cyclic collector from walking it again and again (15 % of a worker).
            gc.freeze()
        if counter is not None:  # the parent folds the counts while this writes
            results.put(("words", counter.state(), count))
            counter = None
        segment = writer.finish_segment()
        results.put(("ok", segment, count))
    except BaseException:  # reported to the parent, which raises
        results.put(("error", traceback.format_exc(), 0))


class IndexFeeder:
    """Writes one generation: deletions in this process, additions in N workers."""

    def __init__(
        self,
        ix: Any,
        generation: str,
        *,
        workers: int = 1,
        limit_mb: int = 256,
        batch_size: int = DEFAULT_BATCH_SIZE,
        count_words: bool = False,
    ) -> None:
        self.workers = max(1, workers)
        self.batch_size = batch_size
        self.added = 0
        self.writer = FastSegmentWriter(ix, limitmb=limit_mb)
        #: With ``count_words``: the words of every document added, for the spelling
        #: model (`indexer.spelling_model`), complete once `commit` has collected them.
        self.word_counter = WordCounter() if count_words else None
        self._batch: list[dict[str, Any]] = []
        self._processes: list[Any] = []
        self._received: list[tuple[str, Any, int]] = []
        if self.workers > 1:
            context = multiprocessing.get_context("spawn")
            self._jobs = context.Queue(maxsize=QUEUE_BATCHES_PER_WORKER * self.workers)
            self._results = context.Queue()
            for _ in range(self.workers):
                process = context.Process(
                    target=_worker_main,
                    args=(
                        generation,
                        limit_mb,
                        self._jobs,
                        self._results,
                        os.getpid(),
                        count_words,
                    ),
                    daemon=True,
                )
                process.start()
                self._processes.append(process)

    def delete_ids(self, ids: Iterable[str]) -> int:
        """Delete the documents with these article ids from the existing segments
        (the words counted no longer describe the live articles: the count is dropped)."""
        self.word_counter = None
        deleted = 0
        for article_id in ids:
            deleted += self.writer.delete_by_term("id", article_id)
        return deleted

    def add(self, document: dict[str, Any]) -> None:
        """Add one document (keyword arguments of ``add_document``)."""
        self.added += 1
        if not self._processes:
            self.writer.add_document(**document)
            if self.word_counter is None:
                return
        self._batch.append(document)
        if len(self._batch) >= self.batch_size:
            self._hand_over(self._batch)
            self._batch = []

    def _check_workers(self) -> None:
        try:
            self._received.append(self._results.get_nowait())
        except queue.Empty:
            pass
        for status, detail, _count in self._received:
            if status == "error":
                raise WorkerFailed(f"an indexing worker failed:\n{detail}")
        for process in self._processes:
            if process.exitcode is not None and process.exitcode != 0:
                raise WorkerFailed(f"an indexing worker died (exit status {process.exitcode})")

    def _hand_over(self, batch: list[dict[str, Any]]) -> None:
        """A full batch goes to the workers; with one process, which has added its
        documents already, it is only counted for the spelling model."""
        if self._processes:
            self._send(batch)
        elif self.word_counter is not None:
            self.word_counter.add(spelling_texts(batch))

    def _send(self, item: list[dict[str, Any]] | None) -> None:
        while True:
            try:
                self._jobs.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                self._check_workers()

    def commit(
        self,
        *,
        optimize: bool = False,
        merge: bool = False,
        on_phase: Callable[[str], None] | None = None,
        on_counted: Callable[[WordCounter], None] | None = None,
    ) -> None:
        """Finish every segment and write the TOC (nothing is served yet). With
        ``count_words``, ``on_counted`` gets the complete `word_counter` as soon as
        every worker has sent its counts, while the workers still write segments."""
        if self._batch:
            self._hand_over(self._batch)
            self._batch = []
        for _ in self._processes:
            self._send(None)
        if on_phase is not None:
            on_phase("writing segments")
        in_process = not self._processes
        segments = self._collect(on_counted)
        if in_process and self.word_counter is not None and on_counted is not None:
            on_counted(self.word_counter)
        self.writer.commit_with(segments, optimize=optimize, merge=merge)

    def _collect(self, on_counted: Callable[[WordCounter], None] | None) -> list[Any]:
        segments: list[Any] = []
        pending = len(self._processes)
        counts_pending = pending if self.word_counter is not None else 0
        while pending:
            try:
                if self._received:
                    status, detail, _count = self._received.pop()
                else:
                    status, detail, _count = self._results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                for process in self._processes:
                    if process.exitcode not in (None, 0):
                        raise WorkerFailed(
                            f"an indexing worker died (exit status {process.exitcode})"
                        ) from None
                continue
            if status == "error":
                raise WorkerFailed(f"an indexing worker failed:\n{detail}")
            if status == "words":
                counts_pending = self._fold(detail, counts_pending, on_counted)
                continue
            pending -= 1
            if detail is not None:
                segments.append(detail)
        for process in self._processes:
            process.join(timeout=30)
        self._processes = []
        return segments

    def _fold(
        self,
        state: CounterState,
        pending: int,
        on_counted: Callable[[WordCounter], None] | None,
    ) -> int:
        """Add one worker's word counts; call ``on_counted`` after the last one."""
        if self.word_counter is not None:
            self.word_counter.absorb(state)
        if pending == 1 and on_counted is not None and self.word_counter is not None:
            on_counted(self.word_counter)
        return pending - 1

    def cancel(self) -> None:
        """Stop the workers and drop everything written (the folder is deleted by the caller)."""
        if self._processes:
            # Batches still buffered for dead workers must not keep this process alive
            # at exit (the queue's feeder thread would wait forever to flush them).
            self._jobs.cancel_join_thread()
        for process in self._processes:
            if process.is_alive():
                process.kill()
        deadline = time.monotonic() + 10
        for process in self._processes:
            process.join(timeout=max(0.1, deadline - time.monotonic()))
        self._processes = []
        try:
            if not self.writer.is_closed:
                self.writer.cancel()
        except Exception:  # cleanup after another error
            pass
