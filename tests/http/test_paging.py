"""The paging helper and its strategies, driven by fake page functions that answer like the real APIs:
numbered pages and offset windows (Zoho), and GoHighLevel's two keyset schemes, ``searchAfter`` (POST
/contacts/search) and ``startAfterId``/``startAfter`` (GET /contacts/), before GHL's client exists."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.errors import ApiError
from leadflow.http import (
    After,
    Offsets,
    Page,
    PageNumbers,
    SearchAfter,
    StartAfterCursor,
    StartAfterId,
    Window,
    paginate,
)

CONTACTS = [{"id": f"c{i:03}", "dateAdded": 1_700_000_000_000 + i} for i in range(23)]


class FakeSearch:
    """POST /contacts/search: ``pageLimit`` contacts sorted by (dateAdded, id), each with its ``searchAfter``;
    the body's ``searchAfter`` asks for the contacts after that key."""

    def __init__(self, page_limit: int) -> None:
        self.page_limit = page_limit
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, cursor: After) -> Page[dict[str, Any]]:
        body: dict[str, Any] = {"locationId": "loc", "pageLimit": self.page_limit}
        if cursor.values is not None:
            body["searchAfter"] = list(cursor.values)
        self.bodies.append(body)
        rows = [{**c, "searchAfter": [c["dateAdded"], c["id"]]} for c in CONTACTS]
        if "searchAfter" in body:
            key = tuple(body["searchAfter"])
            rows = [r for r in rows if (r["dateAdded"], r["id"]) > key]
        return Page(rows[: self.page_limit], {"total": len(CONTACTS)})


class FakeList:
    """GET /contacts/?limit=N&startAfterId=..&startAfter=..: ``meta`` names the last contact of the page and a
    ``nextPageUrl`` while more follow."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.params: list[dict[str, str]] = []

    def __call__(self, cursor: StartAfterCursor) -> Page[dict[str, Any]]:
        params = cursor.params()
        self.params.append(params)
        start = 0
        if "startAfterId" in params:
            start = next(i for i, c in enumerate(CONTACTS) if c["id"] == params["startAfterId"]) + 1
            assert str(CONTACTS[start - 1]["dateAdded"]) == params["startAfter"]
        rows = CONTACTS[start : start + self.limit]
        more = start + self.limit < len(CONTACTS)
        meta: dict[str, Any] = {"total": len(CONTACTS), "nextPageUrl": None, "startAfterId": None, "startAfter": None}
        if rows and more:
            last = rows[-1]
            meta.update(
                nextPageUrl=f"https://services.leadconnectorhq.com/contacts/?startAfterId={last['id']}",
                startAfterId=last["id"],
                startAfter=last["dateAdded"],
            )
        return Page(rows, meta)


@pytest.mark.parametrize("page_limit", [1, 5, 10, 23, 100])
def test_search_after_walks_every_contact_once_sending_the_last_key(page_limit: int) -> None:
    search = FakeSearch(page_limit)
    walked = list(paginate(search, SearchAfter(page_size=page_limit)))
    assert [c["id"] for c in walked] == [c["id"] for c in CONTACTS]
    assert "searchAfter" not in search.bodies[0]
    for body, previous in zip(search.bodies[1:], search.bodies, strict=False):
        assert body["pageLimit"] == previous["pageLimit"]
    if len(search.bodies) > 1:
        assert search.bodies[1]["searchAfter"] == [
            CONTACTS[page_limit - 1]["dateAdded"],
            CONTACTS[page_limit - 1]["id"],
        ]
    # A full last page needs one more request to learn it was the last (an empty page); a short one does not.
    assert len(search.bodies) == len(CONTACTS) // page_limit + 1


def test_search_after_asks_lazily() -> None:
    search = FakeSearch(5)
    walk = paginate(search, SearchAfter(page_size=5))
    assert search.bodies == []
    first_six = [next(walk) for _ in range(6)]
    assert [c["id"] for c in first_six] == ["c000", "c001", "c002", "c003", "c004", "c005"]
    assert len(search.bodies) == 2


def test_search_after_stops_when_the_last_item_has_no_key() -> None:
    assert SearchAfter(page_size=2).next(After(), Page([{"id": "a"}, {"id": "b"}])) is None


@pytest.mark.parametrize("limit", [1, 7, 20, 23, 100])
def test_start_after_id_walks_every_contact_once_by_the_meta_cursor(limit: int) -> None:
    listing = FakeList(limit)
    walked = list(paginate(listing, StartAfterId()))
    assert [c["id"] for c in walked] == [c["id"] for c in CONTACTS]
    assert listing.params[0] == {}
    assert len(listing.params) == -(-len(CONTACTS) // limit)  # no extra request: meta says there is no next page
    if len(listing.params) > 1:
        last = CONTACTS[limit - 1]
        assert listing.params[1] == {"startAfterId": last["id"], "startAfter": str(last["dateAdded"])}


def test_a_server_that_hands_back_the_same_cursor_is_an_error_not_a_loop() -> None:
    stuck = {"startAfterId": "c001", "startAfter": 1, "nextPageUrl": "https://x/contacts/?startAfterId=c001"}
    with pytest.raises(ApiError, match="paging did not advance"):
        list(paginate(lambda cursor: Page([{"id": "c001"}], stuck), StartAfterId()))


def test_page_numbers_follow_the_more_flag_and_stop_on_an_empty_page() -> None:
    asked: list[int] = []

    def fetch(page: int) -> Page[int]:
        asked.append(page)
        return Page([page * 10, page * 10 + 1], {"more_records": page < 3})

    assert list(paginate(fetch, PageNumbers(more_key="more_records"))) == [10, 11, 20, 21, 30, 31]
    assert asked == [1, 2, 3]
    asked.clear()
    assert list(paginate(lambda page: Page([], {"more_records": True}), PageNumbers(more_key="more_records"))) == []


def test_offsets_advance_by_the_rows_read_and_cap_at_max_rows() -> None:
    windows: list[Window] = []

    def fetch(window: Window) -> Page[int]:
        windows.append(window)
        if window.limit == 0:
            raise ApiError("cap reached")
        return Page(list(range(window.offset, window.offset + window.limit)), {"more_records": True})

    with pytest.raises(ApiError, match="cap reached"):
        list(paginate(fetch, Offsets(page_size=40, max_rows=100, more_key="more_records")))
    assert windows == [Window(0, 40), Window(40, 40), Window(80, 20), Window(100, 0)]
    # Without a more flag, a short page is the last.
    rows = list(paginate(lambda w: Page(list(range(w.offset, min(w.offset + w.limit, 90)))), Offsets(page_size=40)))
    assert rows == list(range(90))
