"""The phases a writer (build, update, optimize) reaches, announced to whoever asks.

Every writing command calls `announce` as it enters a phase, with a stable name:

============================  ==========================================================
``reading``                   lock held, leftovers removed; sources about to be read
                              (a build: generation staged, workers started; an update:
                              comparing files with the manifest, nothing staged yet)
``deleting``                  update: deleting the articles of changed and removed files
``indexing N%``               N = 10, 20 ... 90: share of the input bytes sent to the index
``merging``                   optimize: about to merge the served generation's segments
``writing segments``          every document sent; segments and the TOC being written
``spelling``                  writing the spelling model (a recount, or the counts of a build)
``verifying``                 reading the new generation back
``publishing``                about to swap ``CURRENT`` (nothing swapped yet)
``published``                 ``CURRENT`` names the new generation
============================  ==========================================================

Nothing is announced unless the environment asks: with ``BROADSHEET_PHASE_FILE``
naming a file (or a FIFO, whose reader must be open), each phase appends one line;
with ``BROADSHEET_PHASE_STOP`` naming a phase, the writer stops itself (``SIGSTOP``)
right after announcing it, so a crash test can ``kill -9`` it exactly there, whatever
the machine's speed (tests/test_indexer_crash.py, tests/test_reliability_crash.py).
An announcement never fails a write: an unwritable phase file is ignored.
"""

from __future__ import annotations

import os
import signal

#: Environment variable naming the file (or FIFO) each phase is appended to.
PHASE_FILE_ENV = "BROADSHEET_PHASE_FILE"
#: Environment variable naming the phase at which the writer stops itself (SIGSTOP).
PHASE_STOP_ENV = "BROADSHEET_PHASE_STOP"

__all__ = ["PHASE_FILE_ENV", "PHASE_STOP_ENV", "announce"]


def announce(phase: str) -> None:
    """Say that the writer entered ``phase`` (see the module table); stop here when
    ``BROADSHEET_PHASE_STOP`` names it. Does nothing when neither variable is set."""
    path = os.environ.get(PHASE_FILE_ENV)
    if path:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(descriptor, f"{phase}\n".encode())
            finally:
                os.close(descriptor)
        except OSError:
            pass
    if os.environ.get(PHASE_STOP_ENV) == phase:
        os.kill(os.getpid(), signal.SIGSTOP)
