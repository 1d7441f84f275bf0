"""``/dashboard``: the reports as one page, filtered by query parameters, with drill-down to the people behind a
number and the same reports as JSON (``/dashboard/api/<report>``). Token or sign-in required
(``web/dashboard_auth.py``); the webhooks keep their own auth.

Every page is rendered by ``reporting/html.py`` (the same renderer as ``leadflow report html``) from the report
queries of ``leadflow.reporting`` (the same queries as ``leadflow report``), so the numbers match the CLI's.
Pages run no script and fetch nothing: the Content-Security-Policy says so, and the browser enforces it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import Connection

from leadflow.config import Settings
from leadflow.errors import InputError
from leadflow.reporting import REPORTS, RecordLinks, check_filters, people, record_links, sync_health
from leadflow.reporting.formats import report_document
from leadflow.reporting.html import (
    LivePage,
    all_reports,
    render_login_page,
    render_people_page,
    render_report_page,
    sync_budgets,
)
from leadflow.reporting.model import Report, ReportFilters
from leadflow.runtime import Runtime
from leadflow.web.dashboard_auth import (
    COOKIE,
    NO_TOKEN,
    STORE_ERRORS,
    access_of,
    client_of,
    require_viewer_api,
    require_viewer_page,
    safe_next,
    unavailable,
)
from leadflow.web.dashboard_snapshots import DashboardSnapshots, Render
from leadflow.web.deps import runtime_of

router = APIRouter(prefix="/dashboard")
PAGE = LivePage()
PEOPLE_LIMIT = 500

SECURITY_HEADERS = {
    # no script, no fetch, nothing from elsewhere: styles and SVG are inline, the favicon a data: URL
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class FilterError(ValueError):
    """A query parameter that is not a filter leadflow can apply."""


def filters_from(query: Mapping[str, str]) -> ReportFilters:
    """``ReportFilters`` from query parameters; empty values (a blank form field) mean no narrowing.

    Example:
        >>> filters_from({"since": "2026-11-01", "segment": "DACH champions", "owner": ""})
        ReportFilters(since=datetime.date(2026, 11, 1), until=None, segment='DACH champions', owner=None, source=None)
    """
    since, until = _date(query, "since"), _date(query, "until")
    if since and until and since > until:
        raise FilterError(f"since ({since}) is after until ({until})")
    filters = ReportFilters(
        since=since,
        until=until,
        segment=_text(query, "segment"),
        owner=_text(query, "owner"),
        source=_text(query, "source"),
    )
    try:
        check_filters(filters)  # what the CLI checks too (a source it does not know, ...)
    except InputError as exc:
        raise FilterError(str(exc)) from exc
    return filters


@router.get("", response_class=HTMLResponse, dependencies=[Depends(require_viewer_page)])
def dashboard(request: Request) -> Response:
    try:
        filters = filters_from(request.query_params)
    except FilterError as exc:
        return _page(_error_page(str(exc)), status=400)
    try:
        return _page(snapshots_of(request).page(filters))
    except STORE_ERRORS as exc:
        return _page(_error_page(unavailable(exc)), status=503)


@router.get("/people", response_class=HTMLResponse, dependencies=[Depends(require_viewer_page)])
def people_page(request: Request, runtime: Annotated[Runtime, Depends(runtime_of)]) -> Response:
    try:
        filters, step = filters_from(request.query_params), _step(request.query_params)
        with runtime.engine.connect() as connection:
            report = people(connection, filters, step=step, limit=PEOPLE_LIMIT, links=links_of(runtime.settings))
    except (FilterError, InputError) as exc:
        return _page(_error_page(str(exc)), status=400)
    except STORE_ERRORS as exc:
        return _page(_error_page(unavailable(exc)), status=503)
    return _page(render_people_page(report, step=step, currency=runtime.settings.report.currency, live=PAGE))


@router.get("/api/{name}", dependencies=[Depends(require_viewer_api)])
def report_json(name: str, request: Request, runtime: Annotated[Runtime, Depends(runtime_of)]) -> Response:
    known = [*REPORTS, "people"]
    if name not in known:
        return _json({"error": f"no report {name!r}; reports: {', '.join(known)}"}, status=404)
    try:
        filters = filters_from(request.query_params)
        with runtime.engine.connect() as connection:
            if name == "people":
                step = _step(request.query_params)
                report = people(connection, filters, step=step, limit=PEOPLE_LIMIT, links=links_of(runtime.settings))
            elif name == "sync":
                report = sync_health(connection, filters, budgets=sync_budgets(runtime.settings))
            else:
                report = REPORTS[name](connection, filters)
    except (FilterError, InputError) as exc:
        return _json({"error": str(exc)}, status=400)
    except STORE_ERRORS as exc:
        return _json({"error": unavailable(exc)}, status=503)
    return _json(report_document(report))


@router.get("/login", response_class=HTMLResponse)
def login_form(next: str | None = None) -> Response:
    return _page(render_login_page(next_url=safe_next(next), live=PAGE))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/dashboard",
) -> Response:
    access = access_of(request)
    try:
        expected = access.expected_hash()
    except STORE_ERRORS as exc:
        return _page(render_login_page(next_url=safe_next(next), error=unavailable(exc), live=PAGE), status=503)
    if expected is None:
        return _page(render_login_page(next_url=safe_next(next), error=NO_TOKEN, live=PAGE), status=503)
    client = client_of(request)
    wait = access.throttled(client)
    if wait:
        page = render_login_page(next_url=safe_next(next), error=f"Too many wrong tokens: wait {wait} s.", live=PAGE)
        return HTMLResponse(page, status_code=429, headers={**SECURITY_HEADERS, "Retry-After": str(wait)})
    if not token.strip() or not access.token_ok(token):
        access.failed(client)
        page = render_login_page(next_url=safe_next(next), error="That is not the dashboard token.", live=PAGE)
        return _page(page, status=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        access.session_cookie(),
        max_age=access.session_seconds,
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/logout")
def logout() -> Response:
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard")
    return response


def render_dashboard(settings: Settings) -> Render:
    """How the dashboard page is computed for ``settings``: every report, then the page (what snapshots keep)."""

    def render(connection: Connection, filters: ReportFilters) -> str:
        reports = all_reports(connection, filters, settings=settings)
        return render_report_page(
            reports, filters=filters, currency=settings.report.currency, live=PAGE, choices=_choices(reports)
        )

    return render


def snapshots_of(request: Request) -> DashboardSnapshots:
    snapshots = request.app.state.dashboard_snapshots
    assert isinstance(snapshots, DashboardSnapshots)
    return snapshots


def links_of(settings: Settings) -> RecordLinks:
    """Where a person's Zoho record and GHL contact open in a browser, for this org and location."""
    return record_links(settings)


def _choices(reports: Sequence[Report]) -> dict[str, list[str]]:
    """Values the segment, source and owner filters can take, as the reports list them (for the form's hints)."""
    found: dict[str, set[str]] = {"segment": set(), "source": set(), "owner": set()}
    for report in reports:
        for table in report.tables:
            keys = [column.key for column in table.columns if column.key in found]
            for row in table.rows:
                for key in keys:
                    if row.get(key) not in (None, ""):
                        found[key].add(str(row[key]))
    return {key: sorted(values) for key, values in found.items()}


def _date(query: Mapping[str, str], key: str) -> date | None:
    text = (query.get(key) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise FilterError(f"{key} must be a date like 2026-11-30, not {text!r}") from exc


def _text(query: Mapping[str, str], key: str) -> str | None:
    text = (query.get(key) or "").strip()
    return text or None


def _step(query: Mapping[str, str]) -> str:
    step = (query.get("step") or "").strip()
    if not step:
        raise FilterError("step is required: the funnel step whose people to list")
    return step


def _page(html: str, *, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _json(body: Any, *, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=SECURITY_HEADERS)


def _error_page(message: str) -> str:
    from html import escape

    return (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>leadflow dashboard: bad request</title>'
        f'<link rel="icon" href="data:,"><p role="alert">{escape(message)}</p>'
        f'<p><a href="{PAGE.dashboard_url}">back to the dashboard</a></p></html>'
    )
