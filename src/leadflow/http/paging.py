"""One way to walk a paged API, whatever its paging scheme, and a helper that cuts an iterable into chunks.

:func:`paginate` asks a ``fetch(cursor)`` function for one page at a time, only as the caller wants more, and
a :class:`PagingStrategy` says where the next page starts. The strategies here cover numbered pages, offset
windows and the two keyset schemes of GoHighLevel (``searchAfter`` from the last item, ``startAfterId`` /
``startAfter`` from the reply's ``meta``); a vendor with a rule of its own (Zoho's page numbers that turn into a
``page_token`` after page 10) writes a strategy beside its client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Generic, Protocol, TypeVar

from leadflow.errors import ApiError

T = TypeVar("T")
C = TypeVar("C")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One reply's items and what it said about paging (Zoho's ``info``, GHL's ``meta``).

    Example:
        >>> Page([{"id": "1"}], {"more_records": False}).meta["more_records"]
        False
    """

    items: Sequence[T]
    meta: Mapping[str, Any] = field(default_factory=dict)


class PagingStrategy(Protocol[C]):
    """Where paging starts and where the page after ``page`` (fetched at ``cursor``) starts.

    ``next`` returns ``None`` after the last page; it is not asked after an empty page (that ends any walk).
    """

    def first(self) -> C:
        """The cursor of the first page."""
        ...

    def next(self, cursor: C, page: Page[Any]) -> C | None:
        """The cursor of the next page, or ``None`` when ``page`` was the last."""
        ...


def paginate(fetch: Callable[[C], Page[T]], strategy: PagingStrategy[C]) -> Iterator[T]:
    """Every item of every page, lazily: ``fetch(cursor)`` is called only when the caller wants more.

    Raises :class:`~leadflow.errors.ApiError` when the server hands back the cursor it was just asked for
    (walking on would loop forever).

    Example:
        >>> pages = {1: Page(["a", "b"], {"more": True}), 2: Page(["c"], {"more": False})}
        >>> list(paginate(pages.__getitem__, PageNumbers(more_key="more")))
        ['a', 'b', 'c']
    """
    cursor: C | None = strategy.first()
    while cursor is not None:
        page = fetch(cursor)
        yield from page.items
        if not page.items:
            return
        following = strategy.next(cursor, page)
        if following is not None and following == cursor:
            raise ApiError(f"paging did not advance: the server answered the cursor {cursor!r} it was asked for")
        cursor = following


@dataclass(frozen=True)
class PageNumbers:
    """Pages 1, 2, 3... while the reply's ``meta[more_key]`` is true (Zoho's ``info.more_records``).

    Example:
        >>> PageNumbers(more_key="more_records").next(3, Page(["x"], {"more_records": True}))
        4
    """

    more_key: str
    start: int = 1

    def first(self) -> int:
        return self.start

    def next(self, cursor: int, page: Page[Any]) -> int | None:
        return cursor + 1 if page.meta.get(self.more_key) else None


@dataclass(frozen=True)
class Window:
    """An ``offset`` and how many rows to ask for from it (``limit``)."""

    offset: int
    limit: int


@dataclass(frozen=True)
class Offsets:
    """Windows of ``page_size`` rows, offset by the rows read so far, up to ``max_rows`` in all.

    With ``more_key`` the reply's ``meta`` says whether more rows follow; without it a short page is the last.
    The window that would start at ``max_rows`` has ``limit == 0``: the fetch function decides what reaching
    the cap means (Zoho's COQL refuses offsets past 100,000 rows, so the COQL client raises).

    Example:
        >>> offsets = Offsets(page_size=2000, max_rows=5000, more_key="more_records")
        >>> offsets.next(Window(4000, 1000), Page([{}] * 1000, {"more_records": True}))
        Window(offset=5000, limit=0)
    """

    page_size: int
    max_rows: int | None = None
    more_key: str | None = None

    def first(self) -> Window:
        return Window(0, self._limit(0))

    def next(self, cursor: Window, page: Page[Any]) -> Window | None:
        more = page.meta.get(self.more_key) if self.more_key else len(page.items) >= cursor.limit
        if not more:
            return None
        offset = cursor.offset + len(page.items)
        return Window(offset, self._limit(offset))

    def _limit(self, offset: int) -> int:
        if self.max_rows is None:
            return self.page_size
        return max(0, min(self.page_size, self.max_rows - offset))


@dataclass(frozen=True)
class After:
    """A keyset cursor: the sort values of the last item read (``None`` before the first page)."""

    values: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class SearchAfter:
    """Keyset paging where each item carries its own sort values, sent back to get what follows it.

    GoHighLevel's ``POST /contacts/search`` works so: each contact in ``contacts`` has a ``searchAfter``
    array; the next request sends the last one's as ``searchAfter``. A page shorter than ``page_size`` (the
    ``pageLimit`` asked for), or a last item without sort values, ends the walk.

    Example:
        >>> strategy = SearchAfter(page_size=2)
        >>> strategy.next(After(), Page([{"id": "a", "searchAfter": [1, "a"]}, {"id": "b", "searchAfter": [2, "b"]}]))
        After(values=(2, 'b'))
    """

    page_size: int
    key: str = "searchAfter"

    def first(self) -> After:
        return After()

    def next(self, cursor: After, page: Page[Any]) -> After | None:
        if len(page.items) < self.page_size:
            return None
        last = page.items[-1]
        values = last.get(self.key) if isinstance(last, Mapping) else None
        if not isinstance(values, list | tuple) or not values:
            return None
        return After(tuple(values))


@dataclass(frozen=True)
class StartAfterCursor:
    """Where a ``startAfterId`` page starts: the id and the sort value of the last item of the page before."""

    start_after_id: str | None = None
    start_after: Any = None

    def params(self) -> dict[str, str]:
        """The query parameters that ask for the page at this cursor (none for the first page)."""
        params: dict[str, str] = {}
        if self.start_after_id is not None:
            params["startAfterId"] = self.start_after_id
        if self.start_after is not None:
            params["startAfter"] = str(self.start_after)
        return params


@dataclass(frozen=True)
class StartAfterId:
    """Paging by a cursor the server puts in the reply's ``meta``: GoHighLevel's ``GET /contacts/`` answers
    ``meta: {startAfterId, startAfter, nextPageUrl, total}``; without a ``nextPageUrl`` there is no next page.

    Example:
        >>> meta = {"startAfterId": "c2", "startAfter": 1603870249758, "nextPageUrl": "https://x/contacts/?..."}
        >>> StartAfterId().next(StartAfterCursor(), Page([{"id": "c1"}, {"id": "c2"}], meta)).params()
        {'startAfterId': 'c2', 'startAfter': '1603870249758'}
    """

    id_key: str = "startAfterId"
    value_key: str = "startAfter"
    next_key: str = "nextPageUrl"

    def first(self) -> StartAfterCursor:
        return StartAfterCursor()

    def next(self, cursor: StartAfterCursor, page: Page[Any]) -> StartAfterCursor | None:
        if not page.meta.get(self.next_key) or page.meta.get(self.id_key) in (None, ""):
            return None
        return StartAfterCursor(str(page.meta[self.id_key]), page.meta.get(self.value_key))


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
