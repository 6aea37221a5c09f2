"""The cyclic collector is paused inside the block and put back as it was, even when the block fails."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from careloop.lib.gc_pause import cyclic_gc_paused


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_paused_inside_and_enabled_after() -> None:
    gc.enable()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failing_block_still_puts_the_collector_back() -> None:
    gc.enable()
    with pytest.raises(ValueError, match="caseload failed"), cyclic_gc_paused():
        raise ValueError("the caseload failed")
    assert gc.isenabled()


def test_an_inner_block_leaves_the_collector_off_for_the_outer_one() -> None:
    gc.enable()
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with cyclic_gc_paused():
        pass
    assert not gc.isenabled()


def test_cycles_made_inside_survive_the_block_and_are_collected_after() -> None:
    gc.enable()
    with cyclic_gc_paused():
        ref = weakref.ref(Node())
        churn = [[n] for n in range(10 * gc.get_threshold()[0])]  # enough to trigger a collection if on
        assert ref() is not None
    del churn
    gc.collect()
    assert ref() is None
