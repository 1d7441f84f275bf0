"""Metadata (modules, fields with a cache, leadflow's own custom fields), users and the org."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.errors import ApiError
from leadflow.http.paging import Page, paginate
from leadflow.zoho.api import ZohoApi
from leadflow.zoho.paging import MORE_RECORDS


@dataclass(frozen=True)
class FieldSpec:
    """A custom field leadflow needs in a module.

    Example:
        >>> FieldSpec("Leadflow ID", length=64, unique=True).expected_api_name
        'Leadflow_ID'
    """

    label: str
    data_type: str = "text"
    length: int | None = None
    unique: bool = False
    picklist: Sequence[str] = ()
    decimal_place: int | None = None
    api_name: str | None = None

    @property
    def expected_api_name(self) -> str:
        """The API name Zoho derives from the label (spaces and punctuation become ``_``)."""
        if self.api_name:
            return self.api_name
        return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", self.label.strip())).strip("_")

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"field_label": self.label, "data_type": self.data_type}
        if self.length is not None:
            body["length"] = self.length
        if self.decimal_place is not None:
            body["decimal_place"] = self.decimal_place
        if self.unique:
            body["unique"] = {"casesensitive": "false"}
        if self.picklist:
            body["pick_list_values"] = [{"display_value": v, "actual_value": v} for v in self.picklist]
        return body


@dataclass(frozen=True)
class ManualField:
    """A field the API would not create: a person must add it in Zoho's UI (Setup > Modules and Fields).

    Example:
        >>> ManualField(FieldSpec("Leadflow Fit", data_type="double"), "NO_PERMISSION: permission denied").reason
        'NO_PERMISSION: permission denied'
    """

    spec: FieldSpec
    reason: str


@dataclass
class EnsureFieldsReport:
    """What :meth:`MetadataApi.ensure_fields` found, created, and could not create.

    Example:
        >>> report = EnsureFieldsReport("Leads", manual=[ManualField(FieldSpec("Leadflow ID", unique=True), "refused")])
        >>> report.complete, "Do not allow duplicate values" in report.instructions()
        (False, True)
    """

    module: str
    existing: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    manual: list[ManualField] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.manual

    def instructions(self) -> str:
        """Plain words for a person: which fields to create by hand, with type and options."""
        if not self.manual:
            return f"{self.module}: all leadflow fields exist"
        lines = [f"Create these fields in Zoho CRM (Setup > Customization > Modules and Fields > {self.module}):"]
        for item in self.manual:
            spec = item.spec
            extra = [f"length {spec.length}"] if spec.length else []
            if spec.unique:
                extra.append("Do not allow duplicate values")
            if spec.picklist:
                extra.append("values: " + ", ".join(spec.picklist))
            lines.append(
                f"  - {spec.label!r} ({spec.data_type}{', ' + ', '.join(extra) if extra else ''})"
                f" -> API name {spec.expected_api_name}; the API said: {item.reason}"
            )
        return "\n".join(lines)


class MetadataApi:
    """Modules, fields (cached per client) and custom field creation.

    Example:
        >>> [f["api_name"] for f in zoho.metadata.fields("Leads")][:3]  # doctest: +SKIP
        ['Owner', 'Company', 'First_Name']
    """

    def __init__(self, api: ZohoApi) -> None:
        self.api = api
        self._fields: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def modules(self) -> list[dict[str, Any]]:
        """Every module of the org with its API name and whether the API can use it."""
        body = self.api.call("GET", self.api.crm_url("settings/modules")).body
        return list(body.get("modules", [])) if isinstance(body, dict) else []

    def fields(self, module: str, *, refresh: bool = False) -> list[dict[str, Any]]:
        """The fields of ``module`` (cached; ``refresh=True`` asks Zoho again)."""
        with self._lock:
            if not refresh and module in self._fields:
                return self._fields[module]
        body = self.api.call("GET", self.api.crm_url("settings/fields"), params={"module": module}).body
        fields = list(body.get("fields", [])) if isinstance(body, dict) else []
        with self._lock:
            self._fields[module] = fields
        return fields

    def field(self, module: str, api_name: str) -> dict[str, Any] | None:
        """One field's metadata by API name."""
        return next((f for f in self.fields(module) if f.get("api_name") == api_name), None)

    def layouts(self, module: str) -> list[dict[str, Any]]:
        body = self.api.call("GET", self.api.crm_url("settings/layouts"), params={"module": module}).body
        return list(body.get("layouts", [])) if isinstance(body, dict) else []

    def ensure_fields(self, module: str, specs: Sequence[FieldSpec]) -> EnsureFieldsReport:
        """Create the fields of ``specs`` that ``module`` lacks; name those the API refuses to create.

        Example:
            >>> report = zoho.metadata.ensure_fields("Leads", [FieldSpec("Leadflow ID", length=64, unique=True),
            ...                                                FieldSpec("Leadflow Fit", data_type="double")])
            ... # doctest: +SKIP
            >>> report.complete or print(report.instructions())  # doctest: +SKIP
        """
        report = EnsureFieldsReport(module=module)
        current = self.fields(module, refresh=True)
        names = {str(f.get("api_name")) for f in current}
        labels = {str(f.get("field_label") or f.get("display_label") or "").lower() for f in current}
        for spec in specs:
            if spec.expected_api_name in names or spec.label.lower() in labels:
                report.existing.append(spec.expected_api_name)
                continue
            try:
                reply = self.api.call(
                    "POST",
                    self.api.crm_url("settings/fields"),
                    params={"module": module},
                    json={"fields": [spec.payload()]},
                    idempotent=False,
                    batch=True,
                    label="create field",
                )
            except ApiError as exc:
                report.manual.append(ManualField(spec, f"{exc.vendor_code or exc.status}: {exc.message}"))
                continue
            items = reply.body.get("fields", []) if isinstance(reply.body, dict) else []
            item = items[0] if items and isinstance(items[0], dict) else {}
            if item.get("status") == "success":
                details = item.get("details") if isinstance(item.get("details"), dict) else {}
                report.created.append(str((details or {}).get("api_name") or spec.expected_api_name))
            else:
                reason = f"{item.get('code', reply.status)}: {item.get('message', 'refused')}"
                report.manual.append(ManualField(spec, reason))
        if report.created:
            self.fields(module, refresh=True)
        return report


class UsersApi:
    """Users of the org.

    Example:
        >>> zoho.users.current()["email"]  # doctest: +SKIP
        'admin@example.com'
    """

    def __init__(self, api: ZohoApi) -> None:
        self.api = api

    def current(self) -> dict[str, Any]:
        """The user the credentials act as."""
        users = self.api.call("GET", self.api.crm_url("users"), params={"type": "CurrentUser"}).body
        found = users.get("users", []) if isinstance(users, dict) else []
        if not found:
            raise ApiError("Zoho returned no current user")
        return dict(found[0])

    def iter(self, kind: str = "ActiveUsers") -> Iterator[dict[str, Any]]:
        """Users of one ``type`` (AllUsers, ActiveUsers, AdminUsers, ...), every page."""

        def fetch(page: int) -> Page[dict[str, Any]]:
            params = {"type": kind, "page": str(page), "per_page": "200"}
            return self.api.call("GET", self.api.crm_url("users"), params=params).page("users")

        return paginate(fetch, MORE_RECORDS)


class OrgApi:
    """The org (company) the credentials belong to.

    Example:
        >>> zoho.org.get()["zgid"]  # doctest: +SKIP
        '749887383'
    """

    def __init__(self, api: ZohoApi) -> None:
        self.api = api
        self._org: dict[str, Any] | None = None

    def get(self, *, refresh: bool = False) -> dict[str, Any]:
        """The org record (``id``, ``zgid``, ``company_name``, ``country``...), cached."""
        if self._org is None or refresh:
            body = self.api.call("GET", self.api.crm_url("org")).body
            orgs = body.get("org", []) if isinstance(body, dict) else []
            if not orgs:
                raise ApiError("Zoho returned no org")
            self._org = dict(orgs[0])
        return self._org
