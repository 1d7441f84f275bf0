"""Who may see the dashboard: the holder of its token, shown as ``Authorization: Bearer <token>`` or exchanged
on the login form for an HttpOnly cookie. Anonymous requests are refused (401 for the JSON API, a redirect to
the login form for pages); an address that sent ten wrong tokens in fifteen minutes is told to wait (429).

The token is ``[dashboard] token`` when configured, else the one ``leadflow serve`` generated, of which the store
keeps only the SHA-256 hash. A sign-in cookie carries its expiry and an HMAC of it keyed by that hash: it needs
no server-side session, and a new token ends every sign-in made with the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from urllib.parse import quote

from fastapi import HTTPException, Request
from sqlalchemy.exc import SQLAlchemyError

from leadflow.errors import LeadflowError
from leadflow.log import get_logger, redactor
from leadflow.runtime import Runtime
from leadflow.store.dashboard_access import stored_token_hash, token_hash

COOKIE = "leadflow_dashboard"
FAILURES_ALLOWED = 10  # wrong tokens from one address within FAILURE_WINDOW before it must wait
FAILURE_WINDOW = 900.0
STORE_ERRORS = (SQLAlchemyError, LeadflowError)  # the store cannot be opened or read (InputError is caught first)
NO_TOKEN = (
    "the dashboard has no token yet: run `leadflow serve` (it generates one and prints it)"
    " or set [dashboard] token (LEADFLOW_DASHBOARD_TOKEN)"
)


class DashboardAccess:
    """Checks tokens and sign-in cookies against the app's configured or stored token."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def throttled(self, client: str, *, now: float | None = None) -> int:
        """Seconds ``client`` must wait before its next try after too many wrong tokens (0: it may try now)."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if moment - t < FAILURE_WINDOW]
            self._failures[client] = recent
            if len(recent) < FAILURES_ALLOWED:
                return 0
            return int(FAILURE_WINDOW - (moment - recent[0])) + 1

    def failed(self, client: str, *, now: float | None = None) -> None:
        with self._lock:
            self._failures.setdefault(client, []).append(time.monotonic() if now is None else now)
            if len(self._failures) > 10_000:  # bounded: forget the addresses of the oldest failures
                for stale in sorted(self._failures, key=lambda key: max(self._failures[key], default=0))[:5_000]:
                    del self._failures[stale]

    @property
    def session_seconds(self) -> int:
        return self.runtime.settings.dashboard.session_hours * 3600

    def expected_hash(self) -> str | None:
        """The hash a presented token must have; read from the store on each call (a new token takes effect at
        once, in every worker process)."""
        configured = self.runtime.settings.dashboard.token
        if configured is not None:
            return token_hash(configured.get_secret_value())
        with self.runtime.engine.connect() as connection:
            return stored_token_hash(connection)

    def token_ok(self, token: str) -> bool:
        expected = self.expected_hash()
        return expected is not None and hmac.compare_digest(token_hash(token.strip()), expected)

    def session_cookie(self, *, now: float | None = None) -> str:
        """A cookie value good for ``[dashboard] session_hours`` from ``now``."""
        expected = self.expected_hash()
        if expected is None:
            raise RuntimeError(NO_TOKEN)
        expires = int((time.time() if now is None else now) + self.session_seconds)
        return f"{expires}.{_sign(expected, expires)}"

    def session_ok(self, cookie: str, *, now: float | None = None) -> bool:
        expires_text, _, signature = cookie.partition(".")
        if not expires_text.isdigit() or not signature:
            return False
        expires = int(expires_text)
        if expires < (time.time() if now is None else now):
            return False
        expected = self.expected_hash()
        return expected is not None and hmac.compare_digest(signature, _sign(expected, expires))

    def signed_in(self, request: Request) -> bool:
        """Whether ``request`` carries the token or a valid sign-in; 503 when the token cannot be read."""
        try:
            return self._signed_in(request)
        except STORE_ERRORS as exc:
            raise HTTPException(503, unavailable(exc)) from exc

    def _signed_in(self, request: Request) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            client = client_of(request)
            wait = self.throttled(client)
            if wait:
                raise HTTPException(429, "too many wrong tokens; try again later", headers={"Retry-After": str(wait)})
            if self.token_ok(credentials):
                return True
            self.failed(client)
            return False
        cookie = request.cookies.get(COOKIE)
        return cookie is not None and self.session_ok(cookie)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def unavailable(exc: Exception) -> str:
    """The store's failure in one line, secrets scrubbed (logged too)."""
    text = str(exc).strip()
    reason = redactor.scrub(text.splitlines()[0] if text else type(exc).__name__)
    get_logger(__name__).warning("dashboard.store_unavailable", error=reason)
    return f"the store is unavailable: {reason}"


def _sign(key_hash: str, expires: int) -> str:
    return hmac.new(key_hash.encode(), f"dashboard-session:{expires}".encode(), hashlib.sha256).hexdigest()


def access_of(request: Request) -> DashboardAccess:
    access = request.app.state.dashboard_access
    assert isinstance(access, DashboardAccess)
    return access


def require_viewer_api(request: Request) -> None:
    """Dependency of the JSON API: 401 with ``WWW-Authenticate: Bearer`` unless signed in."""
    if not access_of(request).signed_in(request):
        raise HTTPException(
            401, "sign in: send Authorization: Bearer <dashboard token>", headers={"WWW-Authenticate": "Bearer"}
        )


def require_viewer_page(request: Request) -> None:
    """Dependency of the pages: a redirect to the login form (which comes back here) unless signed in."""
    if not access_of(request).signed_in(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, "sign in first", headers={"Location": f"/dashboard/login?next={quote(target)}"})


def safe_next(next_url: str | None) -> str:
    """Where to go after signing in: a dashboard path only (never another site)."""
    if next_url and next_url.startswith("/dashboard") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url
    return "/dashboard"
