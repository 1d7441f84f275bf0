"""Paging helpers: walk a cursor-paged API lazily, and cut an iterable into fixed-size chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Generic, TypeVar

T = TypeVar("T")
C = TypeVar("C")


@dataclass(frozen=True)
class Page(Generic[T, C]):
    """One page of items and the cursor of the next page (``None`` when this was the last).

    Example:
        >>> Page(["a", "b"], next_cursor="token-2").next_cursor
        'token-2'
    """

    items: Sequence[T]
    next_cursor: C | None


def iter_pages(fetch: Callable[[C | None], Page[T, C]], *, first: C | None = None) -> Iterator[T]:
    """Yield every item of every page; ``fetch(cursor)`` is called only when the caller wants more.

    Example:
        >>> pages = {None: Page([1, 2], 2), 2: Page([3], None)}
        >>> list(iter_pages(lambda cursor: pages[cursor]))
        [1, 2, 3]
    """
    cursor = first
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of at most ``size`` items, in order, consuming ``items`` lazily.

    Example:
        >>> list(chunked(range(5), 2))
        [[0, 1], [2, 3], [4]]
    """
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
