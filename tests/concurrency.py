"""Running one action from several threads at the same moment, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def race(action: Callable[[], T], workers: int = 4) -> list[T]:
    """Start ``workers`` threads at one barrier, each running ``action``; their results, in finishing order.

    A thread cannot fail a test itself, so any thread's error is raised here after all have finished.
    """
    barrier = threading.Barrier(workers)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(action())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
