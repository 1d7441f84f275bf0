"""One resource per Zoho module: read, page, write in batches of 100, search, delete, convert leads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadflow.errors import ApiError, BatchInterrupted, InputError, LeadflowError, PartialBatch, ResponseLost
from leadflow.http import chunked
from leadflow.http.paging import Page, paginate
from leadflow.zoho.api import Reply, ZohoApi
from leadflow.zoho.credits import CONVERT_COST, write_cost
from leadflow.zoho.criteria import Criteria, escape_value
from leadflow.zoho.paging import MORE_RECORDS, ListCursor, RecordListPages
from leadflow.zoho.results import RecordResult

BATCH_SIZE = 100
MAX_FIELDS = 50
MAX_PER_PAGE = 200
COMPLEX_WRITE_THRESHOLD = 10  # Zoho counts writes of more than 10 records against the sub-concurrency limit


def _iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")


class ModuleResource:
    """Records of one Zoho module (``Leads``, ``Contacts``, a custom module...).

    Example:
        >>> zoho.contacts.upsert([{"Last_Name": "Lovelace", "Email": "ada@example.com"}],
        ...                      duplicate_check_fields=["Email"])  # doctest: +SKIP
        [RecordResult(index=0, id='5725767000000412001', action='insert', status='success', ...)]
    """

    def __init__(self, api: ZohoApi, api_name: str) -> None:
        if not api_name or "/" in api_name:
            raise InputError(f"not a module API name: {api_name!r}")
        self.api = api
        self.api_name = api_name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.api_name!r})"

    def get(self, record_id: str, *, fields: Sequence[str] | None = None) -> dict[str, Any] | None:
        """One record by id, or ``None`` when there is no such record.

        Example:
            >>> zoho.leads.get("5725767000000412001")["Last_Name"]  # doctest: +SKIP
            'Lovelace'
        """
        params = {"fields": ",".join(fields)} if fields else None
        try:
            reply = self.api.call("GET", self.api.crm_url(f"{self.api_name}/{record_id}"), params=params)
        except ApiError as exc:
            if exc.vendor_code in ("INVALID_DATA", "RECORD_NOT_FOUND") and exc.status in (400, 404):
                return None
            raise
        data = reply.data()
        return data[0] if data else None

    def count(self) -> int:
        """How many records the module holds (``GET {module}/actions/count``, one credit; converted Leads are
        not counted, as the list API leaves them out).

        Example:
            >>> zoho.leads.count()  # doctest: +SKIP
            12040
        """
        reply = self.api.call("GET", self.api.crm_url(f"{self.api_name}/actions/count"), label=f"count {self.api_name}")
        body = reply.body if isinstance(reply.body, dict) else {}
        value = body.get("count")
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise ApiError(f"{self.api_name} count answered without a count: {body}", status=reply.status)
        return int(value)

    def iter(
        self,
        fields: Sequence[str],
        *,
        modified_since: datetime | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        per_page: int = MAX_PER_PAGE,
        converted: bool | None = None,
        ids: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record (lazily), paging with ``page`` for the first 2,000 and ``page_token`` after that.

        ``modified_since`` sends ``If-Modified-Since``: only records changed after it come back.

        Example:
            >>> for lead in zoho.leads.iter(["Email", "Last_Name"], modified_since=datetime(2026, 11, 1)):
            ...     print(lead["Email"])  # doctest: +SKIP
        """
        if not fields:
            raise InputError(f"{self.api_name}.iter needs the fields to read (Zoho requires them, at most 50)")
        if len(fields) > MAX_FIELDS:
            raise InputError(f"Zoho returns at most {MAX_FIELDS} fields per list call; got {len(fields)}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise InputError(f"per_page must be 1..{MAX_PER_PAGE}")
        base: dict[str, str] = {"fields": ",".join(fields), "per_page": str(per_page)}
        if sort_by:
            base["sort_by"] = sort_by
        if sort_order:
            base["sort_order"] = sort_order
        if converted is not None:
            base["converted"] = "true" if converted else "false"
        if ids:
            base["ids"] = ",".join(ids)
        headers = {"If-Modified-Since": _iso(modified_since)} if modified_since else None

        def fetch(cursor: ListCursor) -> Page[dict[str, Any]]:
            params = {**base, **cursor.params()}
            return self.api.call("GET", self.api.crm_url(self.api_name), params=params, headers=headers).page()

        return paginate(fetch, RecordListPages(self.api_name))

    def insert(self, rows: Iterable[Mapping[str, Any]], *, trigger: Sequence[str] | None = None) -> list[RecordResult]:
        """Create records, 100 per call; one result per input row, in order.

        A request-level error (credit budget, lost response, ...) after some calls were answered raises
        :class:`~leadflow.errors.BatchInterrupted` carrying their results (``partial``) and the error (``cause``);
        before any was answered, the error itself.

        Example:
            >>> [r.ok for r in zoho.leads.insert([{"Last_Name": "Hopper", "Company": "Navy"}])]  # doctest: +SKIP
            [True]
        """
        return self._write("POST", self.api_name, rows, trigger=trigger, default_action="insert")

    def update(
        self,
        rows: Iterable[Mapping[str, Any]],
        *,
        trigger: Sequence[str] | None = None,
        if_unmodified_since: datetime | None = None,
    ) -> list[RecordResult]:
        """Update records (each row carries its ``id``), 100 per call.

        With ``if_unmodified_since``, a record changed in Zoho after that moment is not overwritten: its
        result is an error with code ``ALREADY_MODIFIED``.

        Example:
            >>> zoho.leads.update([{"id": "5725767000000412001", "Lead_Status": "Contacted"}])  # doctest: +SKIP
        """
        checked = []
        for index, row in enumerate(rows):
            if not row.get("id"):
                raise InputError(f"{self.api_name}.update: row {index} has no id")
            checked.append(row)
        headers = {"If-Unmodified-Since": _iso(if_unmodified_since)} if if_unmodified_since else None
        return self._write("PUT", self.api_name, checked, trigger=trigger, default_action="update", headers=headers)

    def upsert(
        self,
        rows: Iterable[Mapping[str, Any]],
        *,
        duplicate_check_fields: Sequence[str] | None = None,
        trigger: Sequence[str] | None = None,
    ) -> list[RecordResult]:
        """Insert or update by ``duplicate_check_fields`` (Zoho's defaults when omitted), 100 per call.

        Each result says whether Zoho inserted or updated (``action``) and on which field it matched.

        Example:
            >>> zoho.leads.upsert([{"Last_Name": "Hopper", "Leadflow_ID": "gp_1"}],
            ...                   duplicate_check_fields=["Leadflow_ID"])  # doctest: +SKIP
        """
        extra = {"duplicate_check_fields": list(duplicate_check_fields)} if duplicate_check_fields else {}
        return self._write("POST", f"{self.api_name}/upsert", rows, trigger=trigger, extra=extra)

    def delete(self, ids: Iterable[str], *, wf_trigger: bool = False) -> list[RecordResult]:
        """Move records to the recycle bin, 100 per call; one result per id.

        Example:
            >>> [r.action for r in zoho.leads.delete(["5725767000000412001"])]  # doctest: +SKIP
            ['delete']
        """
        results: list[RecordResult] = []
        offset = 0
        for chunk in chunked(ids, BATCH_SIZE):
            try:
                reply = self.api.call(
                    "DELETE",
                    self.api.crm_url(self.api_name),
                    params={"ids": ",".join(str(i) for i in chunk), "wf_trigger": "true" if wf_trigger else "false"},
                    idempotent=False,
                    batch=True,
                    label=f"delete {self.api_name}",
                )
                answered = _results(reply, offset, len(chunk), default_action="delete")
            except LeadflowError as exc:
                if not results:
                    raise
                total = len(ids) if isinstance(ids, Sized) else None
                raise BatchInterrupted(exc, PartialBatch(results, offset), total=total) from exc
            results += answered
            offset += len(chunk)
        return results

    def search(
        self,
        criteria: Criteria | str | None = None,
        *,
        email: str | None = None,
        phone: str | None = None,
        word: str | None = None,
        fields: Sequence[str] | None = None,
        per_page: int = MAX_PER_PAGE,
    ) -> Iterator[dict[str, Any]]:
        """Records matching ``criteria`` (build it with :class:`Criteria`), or by ``email``, ``phone`` or ``word``.

        Zoho answers at most 2,000 records per search (then ``LIMIT_REACHED``); use COQL for more.

        Example:
            >>> c = Criteria.field("Company").equals("Acme (UK), Ltd")
            >>> [r["id"] for r in zoho.accounts.search(c)]  # doctest: +SKIP
        """
        params: dict[str, str] = {"per_page": str(per_page)}
        given = [(k, v) for k, v in (("email", email), ("phone", phone), ("word", word)) if v is not None]
        if criteria is not None:
            params["criteria"] = str(criteria)
        for key, value in given:
            params[key] = escape_value(value) if key == "word" else str(value)
        if criteria is None and not given:
            raise InputError("search needs criteria, email, phone or word")
        if fields:
            params["fields"] = ",".join(fields)

        def fetch(page: int) -> Page[dict[str, Any]]:
            url = self.api.crm_url(f"{self.api_name}/search")
            return self.api.call("GET", url, params={**params, "page": str(page)}, complex_call=True).page()

        return paginate(fetch, MORE_RECORDS)

    def deleted(self, *, kind: str = "all") -> Iterator[dict[str, Any]]:
        """Records deleted recently (``kind``: all, recycle or permanent), newest first.

        Example:
            >>> [d["id"] for d in zoho.leads.deleted()]  # doctest: +SKIP
        """

        def fetch(page: int) -> Page[dict[str, Any]]:
            params = {"type": kind, "page": str(page), "per_page": str(MAX_PER_PAGE)}
            return self.api.call("GET", self.api.crm_url(f"{self.api_name}/deleted"), params=params).page()

        return paginate(fetch, MORE_RECORDS)

    def _write(
        self,
        method: str,
        path: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        trigger: Sequence[str] | None,
        default_action: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> list[RecordResult]:
        results: list[RecordResult] = []
        offset = 0
        for chunk in chunked(rows, BATCH_SIZE):
            body: dict[str, Any] = {"data": [dict(row) for row in chunk], **(extra or {})}
            if trigger is not None:
                body["trigger"] = list(trigger)
            try:
                reply = self.api.call(
                    method,
                    self.api.crm_url(path),
                    json=body,
                    headers=headers,
                    cost=write_cost(len(chunk)),
                    complex_call=len(chunk) > COMPLEX_WRITE_THRESHOLD,
                    idempotent=False,
                    batch=True,
                    label=f"{method} {path}",
                )
                answered = _results(reply, offset, len(chunk), default_action=default_action)
            except LeadflowError as exc:
                if not results:
                    raise
                total = len(rows) if isinstance(rows, Sized) else None
                raise BatchInterrupted(exc, PartialBatch(results, offset), total=total) from exc
            results += answered
            offset += len(chunk)
        return results


def _results(reply: Reply, offset: int, count: int, *, default_action: str | None) -> list[RecordResult]:
    items = reply.data()
    if len(items) != count:
        # The call went through but its answer is incomplete: the records may or may not have been written.
        raise ResponseLost(
            f"Zoho answered {len(items)} results for {count} records: reconcile before sending them again",
            status=reply.status,
        )
    return [RecordResult.from_item(offset + i, item, default_action=default_action) for i, item in enumerate(items)]


@dataclass(frozen=True)
class ConvertResult:
    """Ids of the records a lead conversion produced (``deal_id`` only when a deal was asked for).

    Example:
        >>> ConvertResult(contact_id="1", account_id="2", deal_id=None, raw={}).deal_id is None
        True
    """

    contact_id: str | None
    account_id: str | None
    deal_id: str | None
    raw: dict[str, Any]


def _id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value not in (None, "") else None


class LeadsResource(ModuleResource):
    """Leads, which can also be converted into a contact, an account and optionally a deal.

    Example:
        >>> zoho.leads.convert("5725767000000412001").contact_id  # doctest: +SKIP
        '5725767000000415001'
    """

    def convert(
        self,
        lead_id: str,
        *,
        account_id: str | None = None,
        contact_id: str | None = None,
        overwrite: bool | None = None,
        notify_lead_owner: bool | None = None,
        notify_new_entity_owner: bool | None = None,
        assign_to: str | None = None,
        deal: Mapping[str, Any] | None = None,
    ) -> ConvertResult:
        """Convert a lead (5 credits); pass ``account_id``/``contact_id`` to merge into existing records.

        Example:
            >>> zoho.leads.convert("5725767000000412001", deal={"Deal_Name": "Pilot", "Stage": "Qualification"})
            ... # doctest: +SKIP
            ConvertResult(contact_id='...', account_id='...', deal_id='...', raw={...})
        """
        item: dict[str, Any] = {}
        if account_id:
            item["Accounts"] = {"id": account_id}
        if contact_id:
            item["Contacts"] = {"id": contact_id}
        if overwrite is not None:
            item["overwrite"] = overwrite
        if notify_lead_owner is not None:
            item["notify_lead_owner"] = notify_lead_owner
        if notify_new_entity_owner is not None:
            item["notify_new_entity_owner"] = notify_new_entity_owner
        if assign_to:
            item["assign_to"] = {"id": assign_to}
        if deal:
            item["Deals"] = dict(deal)
        reply = self.api.call(
            "POST",
            self.api.crm_url(f"Leads/{lead_id}/actions/convert"),
            json={"data": [item]},
            cost=CONVERT_COST,
            idempotent=False,
            batch=True,
            label="convert lead",
        )
        items = reply.data()
        if not items:
            raise ApiError("lead convert returned no result", status=reply.status)
        first = items[0]
        if first.get("status") == "error":
            raise ApiError(
                str(first.get("message") or "lead convert failed"),
                status=reply.status,
                vendor_code=str(first.get("code") or "") or None,
                details=first.get("details") if isinstance(first.get("details"), dict) else None,
            )
        ids = first.get("details") if isinstance(first.get("details"), dict) and "code" in first else first
        assert isinstance(ids, dict)
        return ConvertResult(
            contact_id=_id_of(ids.get("Contacts")),
            account_id=_id_of(ids.get("Accounts")),
            deal_id=_id_of(ids.get("Deals")),
            raw=dict(first),
        )
