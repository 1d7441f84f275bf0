"""Zoho's paging rules as strategies for :func:`leadflow.http.paging.paginate`.

Most lists page by number while ``info.more_records`` is true (:data:`MORE_RECORDS`); the records list API
(``GET /{module}``) serves pages 1 to 10 by number and every later page by the ``page_token`` of the page
before (:class:`RecordListPages`); COQL pages by ``limit``/``offset`` (:data:`leadflow.http.paging.Offsets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.errors import ApiError
from leadflow.http.paging import Page, PageNumbers

DISCRETE_PAGES = 10
MORE_RECORDS = PageNumbers(more_key="more_records")


@dataclass(frozen=True)
class ListCursor:
    """A page of the records list API: its number, and the ``page_token`` that reaches it after page 10.

    Example:
        >>> ListCursor(3).params(), ListCursor(11, "tok").params()
        ({'page': '3'}, {'page_token': 'tok'})
    """

    page: int
    token: str | None = None

    def params(self) -> dict[str, str]:
        return {"page_token": self.token} if self.token else {"page": str(self.page)}


@dataclass(frozen=True)
class RecordListPages:
    """Pages by number up to ``discrete_pages``, then by ``info.next_page_token``.

    Example:
        >>> pages = RecordListPages("Leads")
        >>> pages.next(ListCursor(10), Page([{}], {"more_records": True, "next_page_token": "t"}))
        ListCursor(page=11, token='t')
    """

    module: str
    discrete_pages: int = DISCRETE_PAGES

    def first(self) -> ListCursor:
        return ListCursor(1)

    def next(self, cursor: ListCursor, page: Page[Any]) -> ListCursor | None:
        if not page.meta.get("more_records"):
            return None
        if cursor.token is None and cursor.page < self.discrete_pages:
            return ListCursor(cursor.page + 1)
        token = page.meta.get("next_page_token")
        if not token:
            raise ApiError(
                f"{self.module}: more records after page {cursor.page} but no next_page_token came back",
                vendor_code="DISCRETE_PAGINATION_LIMIT_EXCEEDED",
            )
        return ListCursor(cursor.page + 1, str(token))
