"""Progress output of the indexer CLI: a live bar on a terminal, one line a phase elsewhere.

On a terminal (stderr is a tty) the ``indexing`` phase redraws one line, at most
five times a second::

    indexing [##########..........]  48%  2,641 articles  212 articles/s  ETA 0:13

The fraction is input bytes consumed / total input bytes (inside a file, the
share of its decompressed text the parsed articles cover), so the ETA holds for
a single large file as well as for many small ones. When stderr is not a
terminal (CI logs, pipes) every phase prints one plain line when it starts and
``indexing`` one more when it ends; nothing is redrawn.

Whatever the output, crossing each tenth of the input is announced as the phase
``indexing 10%`` ... ``indexing 90%`` (`indexer.phases`).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from indexer.phases import announce


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def human_bytes(size: float) -> str:
    """``1536`` -> ``1.5 KB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # pragma: no cover


class Progress:
    """Phase lines and the indexing bar; ``quiet`` prints nothing."""

    REDRAW_SECONDS = 0.2
    WIDTH = 20

    def __init__(
        self, stream: TextIO | None = None, *, is_tty: bool | None = None, quiet: bool = False
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.is_tty = self.stream.isatty() if is_tty is None else is_tty
        self.quiet = quiet
        self.started = time.perf_counter()
        self.phase_started = self.started
        self.total_bytes = 0
        self.count = 0
        self.fraction = 0.0
        self._last_draw = 0.0
        self._bar_open = False
        self._tenths_announced = 0

    def _write(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(text)
            self.stream.flush()

    def _close_bar(self) -> None:
        if self._bar_open:
            self._write("\n")
            self._bar_open = False

    def phase(self, text: str) -> None:
        """Announce a phase (one line, timestamped by elapsed seconds)."""
        self._close_bar()
        self.phase_started = time.perf_counter()
        self._write(f"[{self.phase_started - self.started:6.1f}s] {text}\n")

    def start_indexing(self, total_bytes: int, files: int) -> None:
        """Begin the indexing phase over ``files`` inputs of ``total_bytes``."""
        self.total_bytes = total_bytes
        self.fraction = 0.0
        self._tenths_announced = 0
        self.phase(f"indexing {files} file(s), {human_bytes(total_bytes)}")

    def update(self, count: int, bytes_done: float) -> None:
        """Record ``count`` articles sent to the index and ``bytes_done`` input bytes read."""
        self.count = count
        if self.total_bytes:
            self.fraction = min(1.0, max(self.fraction, bytes_done / self.total_bytes))
            while self._tenths_announced < min(9, int(self.fraction * 10)):
                self._tenths_announced += 1
                announce(f"indexing {self._tenths_announced * 10}%")
        if not self.is_tty or self.quiet:
            return
        now = time.perf_counter()
        if now - self._last_draw < self.REDRAW_SECONDS:
            return
        self._last_draw = now
        self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.phase_started, 1e-9)
        rate = self.count / elapsed
        filled = int(self.fraction * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        if self.fraction > 0.01:
            eta = _clock(elapsed * (1 - self.fraction) / self.fraction)
        else:
            eta = "--:--"
        self._write(
            f"\rindexing [{bar}] {self.fraction * 100:3.0f}%  {self.count:,} articles  "
            f"{rate:,.0f} articles/s  ETA {eta}  "
        )
        self._bar_open = True

    def end_indexing(self) -> float:
        """Close the bar and print the rate line; return the phase's seconds."""
        now = time.perf_counter()
        if self.is_tty and not self.quiet:
            self.fraction = 1.0 if self.total_bytes else self.fraction
            self._draw(now)
        self._close_bar()
        elapsed = now - self.phase_started
        rate = self.count / max(elapsed, 1e-9)
        self._write(
            f"[{now - self.started:6.1f}s] sent {self.count:,} articles to the index "
            f"in {elapsed:.1f} s ({rate:,.0f} articles/s)\n"
        )
        return elapsed

    def finish(self) -> None:
        """Close an open bar line."""
        self._close_bar()
