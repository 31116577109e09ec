"""Requests at the same instant: the calls run in threads released together by a barrier."""

import threading
from collections.abc import Callable


def at_once(*calls: Callable) -> list:
    """The calls' results, in order; an exception a call raised is raised here once all are done."""
    start = threading.Barrier(len(calls), timeout=30)
    results: list = [None] * len(calls)

    def run(i: int, call: Callable) -> None:
        try:
            start.wait()
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    failed = [r for r in results if isinstance(r, Exception)]
    if failed:
        raise failed[0]
    return results
