"""Connecting leadflow to a Zoho org once: the consent URL, catching the grant code, exchanging it, and saving
the refresh token encrypted in the store."""

from __future__ import annotations

import html
import secrets as pysecrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from sqlalchemy import Engine

from leadflow.errors import AuthError, InputError
from leadflow.store import zoho as repo
from leadflow.zoho.auth import TokenReply, token_request
from leadflow.zoho.datacentres import DATA_CENTRES, data_centre_of
from leadflow.zoho.secrets import SecretBox

DEFAULT_SCOPES: tuple[str, ...] = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.users.READ",
    "ZohoCRM.org.READ",
    "ZohoCRM.coql.READ",
    "ZohoCRM.bulk.ALL",
    "ZohoCRM.notifications.ALL",
    "ZohoCRM.composite_requests.CUSTOM",
    "ZohoCRM.functions.execute.READ",
    "ZohoCRM.functions.execute.CREATE",
    "ZohoCRM.send_mail.all.CREATE",
    "ZohoFiles.files.ALL",
)
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/callback"


def consent_url(
    accounts_url: str, *, client_id: str, redirect_uri: str, scopes: Sequence[str] = DEFAULT_SCOPES, state: str = ""
) -> str:
    """The page where the org's admin grants leadflow access (offline: a refresh token comes back).

    Example:
        >>> url = consent_url("https://accounts.zoho.eu", client_id="1000.X", redirect_uri=DEFAULT_REDIRECT_URI)
        >>> "access_type=offline" in url and url.startswith("https://accounts.zoho.eu/oauth/v2/auth?")
        True
    """
    query = {
        "scope": ",".join(scopes),
        "client_id": client_id,
        "response_type": "code",
        "access_type": "offline",
        "prompt": "consent",
        "redirect_uri": redirect_uri,
    }
    if state:
        query["state"] = state
    return f"{accounts_url.rstrip('/')}/oauth/v2/auth?{urlencode(query)}"


@dataclass(frozen=True)
class GrantCode:
    """A grant code and, when Zoho's redirect said so, the accounts server of the user's data centre.

    Example:
        >>> GrantCode("1000.abc", accounts_server="https://accounts.zoho.eu", location="eu").location
        'eu'
    """

    code: str
    accounts_server: str | None = None
    location: str | None = None
    state: str | None = None


def parse_grant(text: str) -> GrantCode:
    """A grant code from what a person pasted: the redirected URL, or the bare code (e.g. a Self Client's).

    Example:
        >>> parse_grant("http://127.0.0.1:8765/callback?code=1000.abc&location=eu&accounts-server=https%3A%2F%2Faccounts.zoho.eu")
        GrantCode(code='1000.abc', accounts_server='https://accounts.zoho.eu', location='eu', state=None)
        >>> parse_grant(" 1000.def ").code
        '1000.def'
    """
    text = text.strip()
    if not text:
        raise InputError("no grant code given")
    if "code=" in text or text.startswith(("http://", "https://")):
        query = parse_qs(urlsplit(text).query if "?" in text else text)
        if "error" in query:
            raise AuthError(f"Zoho refused consent: {query['error'][0]}", vendor_code=query["error"][0])
        if "code" not in query:
            raise InputError("the pasted URL has no code parameter: paste the whole address Zoho redirected to")
        return GrantCode(
            code=query["code"][0],
            accounts_server=query.get("accounts-server", [None])[0],
            location=query.get("location", [None])[0],
            state=query.get("state", [None])[0],
        )
    return GrantCode(code=text)


class RedirectListener:
    """A one-shot HTTP listener on 127.0.0.1 that catches Zoho's redirect with the grant code.

    Example:
        >>> with RedirectListener("http://127.0.0.1:0/callback") as listener:
        ...     listener.redirect_uri.startswith("http://127.0.0.1:")
        True
    """

    def __init__(self, redirect_uri: str, *, expected_state: str | None = None) -> None:
        parts = urlsplit(redirect_uri)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise InputError(f"the redirect listener only binds 127.0.0.1; {redirect_uri} is not local: use --paste")
        self._path = parts.path or "/"
        self._expected_state = expected_state
        self._result: GrantCode | Exception | None = None
        self._done = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != listener._path:
                    self.send_error(404)
                    return
                try:
                    grant = parse_grant(self.path)
                    if listener._expected_state and grant.state != listener._expected_state:
                        raise AuthError("the redirect's state does not match: ignore it and start again")
                    listener._result = grant
                    message = "leadflow received the Zoho grant. You can close this tab."
                    status = 200
                except Exception as exc:  # the page tells the person; the command raises it
                    listener._result = exc
                    message = f"leadflow could not use this redirect: {exc}"
                    status = 400
                page = f"<html><body><p>{html.escape(message)}</p></body></html>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                listener._done.set()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", parts.port or 80), Handler)
        port = self._server.server_address[1]
        self.redirect_uri = f"http://127.0.0.1:{port}{self._path}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="zoho-redirect", daemon=True)

    def __enter__(self) -> RedirectListener:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> GrantCode:
        """The grant code, once the browser comes back; ``InputError`` after ``timeout`` seconds."""
        if not self._done.wait(timeout):
            raise InputError(f"no redirect from Zoho within {timeout:.0f}s: run again, or use --paste / --code")
        if isinstance(self._result, Exception):
            raise self._result
        assert isinstance(self._result, GrantCode)
        return self._result


def new_state() -> str:
    """A random ``state`` for the consent URL, checked when the redirect comes back.

    Example:
        >>> len(new_state()) >= 16
        True
    """
    return pysecrets.token_urlsafe(16)


@dataclass(frozen=True)
class Connection:
    """What ``leadflow auth zoho`` saved.

    Example:
        >>> Connection("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu", DEFAULT_SCOPES).data_centre
        'eu'
    """

    data_centre: str
    accounts_url: str
    api_domain: str | None
    scopes: tuple[str, ...]


def exchange_and_save(
    *,
    http: httpx.Client,
    engine: Engine,
    box: SecretBox,
    grant: GrantCode,
    client_id: str,
    client_secret: str,
    data_centre: str,
    accounts_url: str | None = None,
    redirect_uri: str | None = None,
    scopes: Sequence[str] = DEFAULT_SCOPES,
) -> tuple[Connection, TokenReply]:
    """Trade a grant code for tokens and save the refresh token (and client secret) encrypted.

    The accounts server named in the redirect wins over the configured one: it is the user's data centre.
    A Self Client code is exchanged without a redirect URI.

    Example:
        >>> saved, reply = exchange_and_save(http=httpx.Client(), engine=engine, box=box, grant=parse_grant("1000.x"),
        ...                                  client_id="1000.X", client_secret="s", data_centre="eu")  # doctest: +SKIP
        >>> saved.accounts_url  # doctest: +SKIP
        'https://accounts.zoho.eu'
    """
    if not client_id or not client_secret:
        raise InputError("a client id and client secret are needed (--client-id/--client-secret or [zoho] settings)")
    server = (grant.accounts_server or accounts_url or DATA_CENTRES[data_centre].accounts_url).rstrip("/")
    centre = data_centre_of(server) or (grant.location if grant.location in DATA_CENTRES else None) or data_centre
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": client_secret,
        "code": grant.code,
    }
    if redirect_uri:
        form["redirect_uri"] = redirect_uri
    reply = token_request(http, server, form)
    if not reply.refresh_token:
        raise AuthError(
            "Zoho issued no refresh token: the consent was not offline, or this client already holds one for the"
            " user. Revoke leadflow's access in accounts (Connected Apps) and run `leadflow auth zoho` again"
        )
    with engine.begin() as connection:
        repo.save_connection(
            connection,
            data_centre=centre,
            accounts_url=server,
            api_domain=reply.api_domain,
            client_id=client_id,
            client_secret_encrypted=box.encrypt(client_secret),
            refresh_token_encrypted=box.encrypt(reply.refresh_token),
            scopes=list(scopes),
        )
    return Connection(centre, server, reply.api_domain, tuple(scopes)), reply
