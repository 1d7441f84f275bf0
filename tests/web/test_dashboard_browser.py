"""The dashboard in a real Chromium (Debian's, driven by Playwright): served by uvicorn on a real socket over a
real store holding known data (tests/reporting/known_store.py), read by the real report queries.

Checked: the page loads with no console error and no request to any other host; every chart draws one mark per
row of its table; a filter changes the numbers to what ``leadflow report funnel --format json`` prints for it;
drill-down lists the right people with links to their Zoho and GHL records; anonymous visitors are refused; the
self-contained HTML file renders from file:// with no request at all. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from leadflow.cli.app import app
from leadflow.config import GhlSettings, Settings
from leadflow.config.settings import DashboardSettings
from leadflow.reporting.html import all_reports
from leadflow.reporting.model import ReportFilters
from leadflow.store import open_store
from tests.reporting.known_store import build
from tests.web.live import ARTIFACTS, CHROMIUM, live_server, require_browser

TOKEN = "browser-test-token-0123456789"


@dataclass
class Watched:
    """What a page did: console errors, uncaught exceptions, and the requests it made (with those refused)."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def sync_api() -> Any:
    return require_browser()


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'state.db'}"
    engine = open_store(url)
    with engine.begin() as connection:
        build(connection)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def settings(store_url: str) -> Settings:
    return Settings(
        database_url=store_url,
        dashboard=DashboardSettings(token=SecretStr(TOKEN)),
        ghl=GhlSettings(location_id="loc1"),
    )


@pytest.fixture(scope="module")
def server(settings: Settings, sync_api: Any) -> Iterator[str]:
    with live_server(settings) as base:
        yield base


@pytest.fixture(scope="module")
def browser(sync_api: Any) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


def _watched_page(browser: Any, allowed: str) -> tuple[Any, Any, Watched]:
    """A fresh browser context whose every request is checked: one to a host other than ``allowed`` (the server's
    host:port, or "file" for file://) is recorded and aborted."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watched = Watched()

    def route(route: Any) -> None:
        url = route.request.url
        watched.requests.append(url)
        parts = urlsplit(url)
        where = "file" if parts.scheme == "file" else parts.netloc
        if where != allowed and parts.scheme not in ("data", "about"):
            watched.refused.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda message: watched.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return context, page, watched


def _sign_in(page: Any, base: str, path: str = "/dashboard") -> None:
    page.goto(f"{base}{path}")
    assert urlsplit(page.url).path == "/dashboard/login"
    page.fill("input[name=token]", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def _funnel_counts(page: Any) -> dict[str, str]:
    """The funnel table as shown: step key -> the count cell's text."""
    rows = page.locator("#funnel-funnel tbody tr")
    counts = {}
    for i in range(rows.count()):
        counts[rows.nth(i).get_attribute("data-key")] = rows.nth(i).locator("td[data-column=count]").inner_text()
    return counts


def _cli(store_url: str, *args: str) -> Any:
    """``leadflow ARGS`` on the test's store (the environment names it; no config file is read)."""
    return CliRunner().invoke(app, list(args), env={"LEADFLOW_DATABASE_URL": store_url, "LEADFLOW_CONFIG": ""})


def _cli_funnel(store_url: str, *options: str) -> dict[str, int]:
    """The funnel's counts as ``leadflow report funnel --format json OPTIONS`` prints them."""
    result = _cli(store_url, "report", "funnel", "--format", "json", *options)
    assert result.exit_code == 0, result.output
    (table,) = [table for table in json.loads(result.stdout)["tables"] if table["key"] == "funnel"]
    return {row["step"]: row["count"] for row in table["rows"]}


def test_the_dashboard_loads_without_errors_or_requests_elsewhere(browser: Any, server: str) -> None:
    host = urlsplit(server).netloc
    context, page, watched = _watched_page(browser, host)
    try:
        _sign_in(page, server)
        assert urlsplit(page.url).path == "/dashboard"
        page.wait_for_selector("#report-sync")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    finally:
        context.close()
    assert watched.errors == []
    assert watched.refused == []
    assert watched.requests, "the route saw the page's requests"
    assert {urlsplit(url).netloc for url in watched.requests} == {host}
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


def test_each_chart_draws_one_mark_per_row(browser: Any, server: str, settings: Settings) -> None:
    engine = open_store(settings.database_url)
    with engine.connect() as connection:
        reports = all_reports(connection, ReportFilters(), settings=settings)
    engine.dispose()
    expected = {
        f"{report.name}-{table.key}": sum(row.get(y) is not None for row in table.rows for y in table.chart.y)
        for report in reports
        for table in report.tables
        if table.chart is not None
    }
    context, page, _ = _watched_page(browser, urlsplit(server).netloc)
    try:
        _sign_in(page, server)
        drawn = {key: page.locator(f"#{key} figure.chart svg .tooltip-trigger").count() for key in expected}
        boxes = page.locator("figure.chart svg").evaluate_all("svgs => svgs.map(s => s.getBoundingClientRect().width)")
    finally:
        context.close()
    assert expected["funnel-funnel"] == 9  # every funnel step, zero or not, has its bar
    assert drawn == expected
    assert all(width > 200 for width in boxes)


def test_a_filter_changes_the_numbers_to_what_the_cli_prints(browser: Any, server: str, store_url: str) -> None:
    context, page, watched = _watched_page(browser, urlsplit(server).netloc)
    try:
        _sign_in(page, server)
        everyone = _funnel_counts(page)
        page.fill("input[name=segment]", "dach")
        page.fill("input[name=since]", "2026-11-01")
        page.fill("input[name=until]", "2026-11-30")
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        filtered = _funnel_counts(page)
        summary = page.inner_text("#filter-summary")
    finally:
        context.close()
    cli = _cli_funnel(store_url, "--segment", "dach", "--since", "2026-11-01", "--until", "2026-11-30")
    assert filtered == {step: f"{count:,}" for step, count in cli.items()}
    assert filtered != everyone
    assert everyone == {step: f"{count:,}" for step, count in _cli_funnel(store_url).items()}
    assert summary == "from 2026-11-01 to 2026-11-30, segment dach"
    assert watched.errors == []


def test_drill_down_lists_the_people_of_a_step_with_their_records(browser: Any, server: str) -> None:
    context, page, watched = _watched_page(browser, urlsplit(server).netloc)
    try:
        _sign_in(page, server)
        page.click("#funnel-funnel tr[data-key=replied] a.drill")
        page.wait_for_load_state("load")
        replied = page.locator("#report-people tbody td[data-column=email]").all_inner_texts()
        zoho = page.locator("#report-people td[data-column=zoho_url] a").evaluate_all("as => as.map(a => a.href)")
        ghl = page.locator("#report-people td[data-column=ghl_url] a").evaluate_all("as => as.map(a => a.href)")
        page.goto(f"{server}/dashboard?since=2026-11-01&until=2026-11-30")
        page.click("#report-segments tr[data-key=dach] a.drill")
        page.wait_for_load_state("load")
        dach = sorted(page.locator("#report-people tbody td[data-column=email]").all_inner_texts())
    finally:
        context.close()
    assert replied == ["anna@alpha.de"]
    assert len(zoho) == 1
    assert zoho[0].endswith("/tab/Leads/L1")
    assert len(ghl) == 1
    assert ghl[0].endswith("/contacts/detail/g1")
    assert dach == ["anna@alpha.de", "ben@beta.de", "eve@epsilon.de"]
    assert watched.errors == []


def test_anonymous_visitors_are_refused(browser: Any, server: str) -> None:
    context, page, _ = _watched_page(browser, urlsplit(server).netloc)
    try:
        page.goto(f"{server}/dashboard")
        landed = urlsplit(page.url).path
        shows_numbers = page.locator("#report-funnel").count()
        api = page.request.get(f"{server}/dashboard/api/funnel")
        people = page.request.get(f"{server}/dashboard/people?step=replied", max_redirects=0)
    finally:
        context.close()
    assert landed == "/dashboard/login"
    assert shows_numbers == 0
    assert api.status == 401
    assert people.status == 303


def test_the_html_file_renders_offline_with_no_request(browser: Any, store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = _cli(store_url, "report", "html", "--out", str(out))
    assert result.exit_code == 0, result.output
    context, page, watched = _watched_page(browser, "file")
    try:
        page.goto(out.as_uri())
        charts = page.locator("figure.chart").count()
        marks = page.locator("figure.chart svg .tooltip-trigger").count()
        declared = sum(int(n) for n in page.locator("figure.chart").evaluate_all("fs => fs.map(f => f.dataset.marks)"))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-file.png"), full_page=True)
    finally:
        context.close()
    assert set(watched.requests) <= {out.as_uri()}  # file:// itself may or may not pass through the route
    assert watched.refused == []
    assert watched.errors == []
    assert charts >= 5
    assert marks == declared > 0
