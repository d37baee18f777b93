"""The order a queue shared by several users places its runs in: each user's runs in
their order of arrival, users taking turns (app.runs.executor_core keeps the queue)."""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Iterable, Mapping

from app.runs.placement import Submission


def fair_order(pending: Iterable[Submission], placed: Counter[str | None],
               served: Mapping[str | None, int], turns: int) -> list[Submission]:
    """The queue in the order its runs would be placed if none ended meanwhile. Each
    owner's runs keep their order of arrival and owners take turns: next goes the owner
    with the fewest runs placed (`placed`, counting those placed before it in this order),
    then the one whose latest run was placed longest ago (`served`: an owner's latest
    placement's number, of `turns` so far; so owners alternate even one run at a time),
    then the one whose next run came first. Owner None is one owner: alone, it is first
    come, first placed."""
    queues: dict[str | None, deque[tuple[int, Submission]]] = {}
    for arrival, run in enumerate(pending):
        queues.setdefault(run.job.owner, deque()).append((arrival, run))
    heap = [(placed[owner], served.get(owner, 0), runs[0][0], owner)
            for owner, runs in queues.items()]  # arrivals differ: owners never compared
    heapq.heapify(heap)
    order: list[Submission] = []
    while heap:
        held, _, _, owner = heapq.heappop(heap)
        runs = queues[owner]
        order.append(runs.popleft()[1])
        if runs:  # as if just placed: after every real placement
            heapq.heappush(heap, (held + 1, turns + len(order), runs[0][0], owner))
    return order
