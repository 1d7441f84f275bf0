"""``/dashboard`` over HTTP (in process): who gets in (Bearer token, sign-in cookie) and who does not, filters
that are refused with a reason, and the pages' security headers. The numbers are checked in a real browser by
test_dashboard_browser.py."""

from __future__ import annotations

import html
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from leadflow.config import Settings
from leadflow.config.settings import DashboardSettings
from leadflow.store.dashboard_access import new_token
from leadflow.web.app import create_app
from leadflow.web.dashboard_auth import COOKIE, safe_next

TOKEN = "correct-horse-battery-staple-42"


def _settings(tmp_path: Path, token: str | None = TOKEN) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'state.db'}",
        dashboard=DashboardSettings(token=SecretStr(token) if token else None),
    )


def _bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_anonymous_requests_are_refused(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path)), follow_redirects=False) as client:
        page = client.get("/dashboard?segment=DACH")
        api = client.get("/dashboard/api/funnel")
        people = client.get("/dashboard/people?step=replied")
        wrong = client.get("/dashboard/api/funnel", headers=_bearer("not-the-token-at-all"))
        client.cookies.set(COOKIE, f"{int(time.time()) + 3600}.deadbeef")
        forged = client.get("/dashboard")
    assert page.status_code == 303
    assert page.headers["location"] == "/dashboard/login?next=/dashboard%3Fsegment%3DDACH"
    assert people.status_code == 303
    assert api.status_code == 401
    assert api.headers["www-authenticate"] == "Bearer"
    assert "funnel" not in api.text.lower()
    assert wrong.status_code == 401
    assert forged.status_code == 303


def test_a_bearer_token_opens_the_pages_and_the_api(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        page = client.get("/dashboard", headers=_bearer())
        api = client.get("/dashboard/api/funnel", headers=_bearer())
    assert page.status_code == 200
    assert 'data-report="funnel"' in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["cache-control"] == "no-store"
    assert api.status_code == 200
    assert api.json()["report"] == "funnel"


def test_signing_in_sets_an_http_only_cookie_that_opens_the_dashboard(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path)), follow_redirects=False) as client:
        refused = client.post("/dashboard/login", data={"token": "guess", "next": "/dashboard"})
        assert refused.status_code == 401
        assert "not the dashboard token" in refused.text
        assert COOKIE not in refused.cookies
        signed = client.post("/dashboard/login", data={"token": TOKEN, "next": "/dashboard?source=Apollo"})
        assert signed.status_code == 303
        assert signed.headers["location"] == "/dashboard?source=Apollo"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Path=/dashboard" in cookie
        assert TOKEN not in cookie
        assert client.get("/dashboard").status_code == 200
        client.get("/dashboard/logout")
        assert client.get("/dashboard").status_code == 303


def test_the_generated_token_is_kept_hashed_and_a_new_one_ends_old_sign_ins(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, token=None))
    with TestClient(app, follow_redirects=False) as client:
        assert client.post("/dashboard/login", data={"token": "anything"}).status_code == 503
        with app.state.runtime.engine.begin() as connection:
            first = new_token(connection)
        with app.state.runtime.engine.connect() as connection:
            stored = connection.exec_driver_sql("SELECT value FROM kv WHERE key = 'dashboard.token_sha256'").scalar()
        assert first not in str(stored)
        assert client.post("/dashboard/login", data={"token": first}).status_code == 303
        assert client.get("/dashboard").status_code == 200
        with app.state.runtime.engine.begin() as connection:
            second = new_token(connection)
        assert client.get("/dashboard").status_code == 303  # the old cookie's signature no longer matches
        assert client.get("/dashboard/api/sync", headers=_bearer(first)).status_code == 401
        assert client.get("/dashboard/api/sync", headers=_bearer(second)).status_code == 200


def test_an_expired_sign_in_is_refused(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    with TestClient(app, follow_redirects=False) as client:
        access = app.state.dashboard_access
        old = access.session_cookie(now=time.time() - access.session_seconds - 1)
        assert not access.session_ok(old)
        client.cookies.set(COOKIE, old)
        assert client.get("/dashboard").status_code == 303


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dashboard/people?step=won", "/dashboard/people?step=won"),
        ("//evil.example/dashboard", "/dashboard"),
        ("https://evil.example/dashboard", "/dashboard"),
        ("/dashboard\\@evil.example", "/dashboard"),
        (None, "/dashboard"),
    ],
)
def test_after_signing_in_only_dashboard_paths_are_followed(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "since must be a date like 2026-11-30, not 'yesterday'"),
        ("since=2026-12-01&until=2026-11-01", "since (2026-12-01) is after until (2026-11-01)"),
    ],
)
def test_a_bad_filter_is_refused_with_the_reason(tmp_path: Path, query: str, message: str) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        page = client.get(f"/dashboard?{query}", headers=_bearer())
        api = client.get(f"/dashboard/api/funnel?{query}", headers=_bearer())
    assert page.status_code == 400
    assert message in html.unescape(page.text)
    assert api.status_code == 400
    assert api.json()["error"] == message


def test_unknown_report_and_step_are_refused_with_the_choices(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        unknown = client.get("/dashboard/api/forecast", headers=_bearer())
        no_step = client.get("/dashboard/api/people", headers=_bearer())
        bad_step = client.get("/dashboard/people?step=teleported", headers=_bearer())
    assert unknown.status_code == 404
    assert "funnel" in unknown.json()["error"]
    assert no_step.status_code == 400
    assert "step is required" in no_step.json()["error"]
    assert bad_step.status_code == 400
    assert "teleported" in bad_step.text


def test_blank_form_fields_mean_no_filter(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        page = client.get("/dashboard?since=&until=&segment=&source=&owner=", headers=_bearer())
    assert page.status_code == 200
    assert "all time, every segment, source and owner" in page.text


def test_serve_generates_the_token_once_prints_it_and_keeps_only_its_hash(tmp_path: Path) -> None:
    from leadflow.cli.context import AppContext
    from leadflow.cli.track import _dashboard_token
    from leadflow.errors import InputError
    from leadflow.runtime import Runtime
    from leadflow.web.dashboard_auth import DashboardAccess

    runtime = Runtime.from_settings(_settings(tmp_path, token=None))
    context = AppContext(runtime=runtime)
    first = _dashboard_token(context, renew=False)
    token = first.rsplit(" ", 1)[-1]
    assert first.startswith("new token, shown once")
    assert len(token) >= 40
    again = _dashboard_token(context, renew=False)
    assert token not in again
    assert "--new-dashboard-token" in again
    access = DashboardAccess(runtime)
    assert access.token_ok(token)
    renewed = _dashboard_token(context, renew=True).rsplit(" ", 1)[-1]
    assert renewed != token
    assert access.token_ok(renewed)
    assert not access.token_ok(token)
    runtime.close()

    configured = AppContext(runtime=Runtime.from_settings(_settings(tmp_path)))
    assert "[dashboard] token" in _dashboard_token(configured, renew=False)
    with pytest.raises(InputError, match="change it there"):
        _dashboard_token(configured, renew=True)
    configured.runtime.close()


def test_report_html_refuses_an_output_it_cannot_write(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leadflow.cli.app import app
    from leadflow.errors import InputError

    env = {"LEADFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'state.db'}", "LEADFLOW_CONFIG": ""}
    missing = CliRunner().invoke(app, ["report", "html", "--out", str(tmp_path / "nope" / "r.html")], env=env)
    backwards = CliRunner().invoke(
        app,
        ["report", "html", "--since", "2026-12-01", "--until", "2026-11-01", "--out", str(tmp_path / "r.html")],
        env=env,
    )
    written = CliRunner().invoke(app, ["report", "html", "--out", str(tmp_path / "r.html")], env=env)
    assert isinstance(missing.exception, InputError)  # main() prints it in one line, exit code 2
    assert "does not exist" in str(missing.exception)
    assert isinstance(backwards.exception, InputError)
    assert "is after --until" in str(backwards.exception)
    assert written.exit_code == 0, written.output
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_pages_are_kept_until_the_store_changes(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from leadflow.reporting.model import ReportFilters
    from leadflow.runtime import Runtime
    from leadflow.store.schema import engagement_events
    from leadflow.web.dashboard import render_dashboard
    from leadflow.web.dashboard_snapshots import DashboardSnapshots

    settings = _settings(tmp_path)
    runtime = Runtime.from_settings(settings)
    computed: list[ReportFilters] = []
    render = render_dashboard(settings)

    def counted(connection: sa.Connection, filters: ReportFilters) -> str:
        computed.append(filters)
        return render(connection, filters)

    snapshots = DashboardSnapshots(runtime, counted, max_age_seconds=0.2)
    dach = ReportFilters(segment="dach")
    first = snapshots.page(ReportFilters())
    assert snapshots.page(ReportFilters()) == first
    snapshots.page(dach)
    assert computed == [ReportFilters(), dach]
    time.sleep(0.25)
    assert snapshots.page(ReportFilters()) == first  # older than refresh_seconds, but nothing changed
    assert not snapshots.refresh(ReportFilters())
    with runtime.engine.begin() as connection:
        when = datetime(2026, 11, 3, tzinfo=UTC)
        connection.execute(
            sa.insert(engagement_events),
            [{"event_type": "email_sent", "occurred_at": when, "source": "ghl", "payload": {}, "created_at": when}],
        )
    snapshots.page(ReportFilters())
    assert computed == [ReportFilters(), dach, ReportFilters()]
    assert not snapshots.refresh(ReportFilters())
    runtime.close()


def test_refresh_seconds_zero_computes_every_view(tmp_path: Path) -> None:
    from leadflow.reporting.model import ReportFilters
    from leadflow.runtime import Runtime
    from leadflow.web.dashboard_snapshots import DashboardSnapshots

    runtime = Runtime.from_settings(_settings(tmp_path))
    calls: list[ReportFilters] = []
    snapshots = DashboardSnapshots(runtime, lambda _c, f: calls.append(f) or "page", max_age_seconds=0)
    snapshots.page(ReportFilters())
    snapshots.page(ReportFilters())
    assert len(calls) == 2
    runtime.close()


def _same(left: object, right: object) -> bool:
    """Equal, floats within a thousandth of a day or unit (ages in stage are measured from each call's now)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, float) and isinstance(right, float):
        return abs(left - right) < 1e-3
    return left == right


def test_the_api_answers_what_the_cli_prints_on_both_backends(database_url: str) -> None:
    import json

    from typer.testing import CliRunner

    from leadflow.cli.app import app
    from leadflow.store import open_store
    from tests.reporting.known_store import build

    engine = open_store(database_url)
    with engine.begin() as connection:
        build(connection)
    engine.dispose()
    settings = Settings(database_url=database_url, dashboard=DashboardSettings(token=SecretStr(TOKEN)))
    env = {"LEADFLOW_DATABASE_URL": database_url, "LEADFLOW_CONFIG": ""}
    query = {"segment": "dach", "since": "2026-11-01", "until": "2026-11-30"}
    with TestClient(create_app(settings)) as client:
        for name in ("funnel", "pipeline", "sources", "segments", "engagement", "sync"):
            api = client.get(f"/dashboard/api/{name}", params=query, headers=_bearer())
            options = [item for key, value in query.items() for item in (f"--{key}", value)]
            cli = CliRunner().invoke(app, ["report", name, "--format", "json", *options], env=env)
            assert cli.exit_code == 0, cli.output
            assert _same(api.json(), json.loads(cli.stdout)), name
        page = client.get("/dashboard", params=query, headers=_bearer())
        people = client.get("/dashboard/api/people", params={**query, "step": "replied"}, headers=_bearer())
    assert page.status_code == 200
    assert 'data-key="replied"' in page.text
    assert [row["email"] for row in people.json()["tables"][0]["rows"]] == ["anna@alpha.de"]


@pytest.mark.parametrize("token", [TOKEN, None])
def test_an_unreachable_store_is_503_with_the_reason_and_no_password(token: str | None) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://nobody:hunter2-secret@127.0.0.1:1/leadflow",
        dashboard=DashboardSettings(token=SecretStr(token) if token else None),
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get("/dashboard", headers=_bearer())
        api = client.get("/dashboard/api/funnel", headers=_bearer())
        login = client.post("/dashboard/login", data={"token": TOKEN})
    # a configured token signs in without the store; the pages then say what is wrong with it
    assert login.status_code == (303 if token else 503)
    for response in (page, api) if token else (page, api, login):
        assert response.status_code == 503
        assert "the store is unavailable" in response.text
        assert "127.0.0.1" in response.text
        assert "hunter2-secret" not in response.text


def test_an_address_that_guesses_is_made_to_wait(tmp_path: Path) -> None:
    from leadflow.web.dashboard_auth import FAILURE_WINDOW, FAILURES_ALLOWED

    app = create_app(_settings(tmp_path))
    with TestClient(app, follow_redirects=False) as client:
        for _ in range(FAILURES_ALLOWED - 1):
            assert client.post("/dashboard/login", data={"token": "guess"}).status_code == 401
        assert client.get("/dashboard/api/funnel", headers=_bearer("another-guess")).status_code == 401
        refused = client.post("/dashboard/login", data={"token": TOKEN})
        api = client.get("/dashboard/api/funnel", headers=_bearer())
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= FAILURE_WINDOW + 1
    assert "Too many wrong tokens" in refused.text
    assert api.status_code == 429
    access = app.state.dashboard_access
    assert access.throttled("testclient", now=time.monotonic() + FAILURE_WINDOW) == 0
