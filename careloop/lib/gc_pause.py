"""Pausing Python's cyclic garbage collector around a bounded, allocation-heavy computation."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Run the block without cyclic garbage collection, then restore what was there before.

    Building thousands of short-lived rows triggers repeated collections that traverse every object in
    the process: about a third of the 5,000-patient caseload's time (bench/caseload.py). Reference
    counting still frees everything acyclic at once, and cycles made meanwhile are collected after the
    block. The switch is process-wide: another thread's work during the block skips cyclic collection
    too, for that long, which is harmless; whichever block found the collector on turns it back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
