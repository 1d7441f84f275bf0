"""``GhlClient``: one object that reads like GoHighLevel (``ghl.contacts.upsert(...)``, ``ghl.fields.ensure(...)``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import Engine

from leadflow.config import GhlSettings, Settings
from leadflow.ghl.activities import NotesApi, TasksApi
from leadflow.ghl.api import GhlApi
from leadflow.ghl.auth import GhlAuth, OAuthAuth, PitAuth
from leadflow.ghl.contacts import ContactsApi
from leadflow.ghl.conversations import ConversationsApi
from leadflow.ghl.errors import GhlErrors
from leadflow.ghl.fields import CustomFieldsApi
from leadflow.ghl.location import CalendarsApi, LocationApi
from leadflow.ghl.opportunities import OpportunitiesApi
from leadflow.ghl.pacing import BURST, INTERVAL_SECONDS, RequestPacer, UsageFigures
from leadflow.http import ConcurrencyLimiter, RetryPolicy, Transport
from leadflow.store.runs import utcnow
from leadflow.store.secrets import SecretBox

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
CONCURRENCY = 4  # calls in flight per location; the burst window, not concurrency, is GHL's bound


@dataclass(frozen=True)
class GhlOptions:
    """Knobs tests and benchmarks turn; production uses the defaults.

    Example:
        >>> GhlOptions(burst=10).interval
        10.0
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = utcnow
    monotonic: Callable[[], float] = time.monotonic
    seed: int | None = None
    burst: int = BURST
    interval: float = INTERVAL_SECONDS


class GhlClient:
    """GoHighLevel (API v2, one sub-account): contacts, custom fields, notes, tasks, opportunities,
    conversations, calendars, the location, and the request budget.

    Example:
        >>> ghl = GhlClient.from_settings(load_settings(), open_store("sqlite:///leadflow.db"))  # doctest: +SKIP
        >>> ghl.contacts.upsert({"email": "ada@example.com", "firstName": "Ada"}).new  # doctest: +SKIP
        True
    """

    def __init__(
        self, *, api: GhlApi, pacer: RequestPacer, auth: GhlAuth, http: httpx.Client, owns_http: bool = False
    ) -> None:
        self.api = api
        self.pacer = pacer
        self.auth = auth
        self.http = http
        self._owns_http = owns_http
        self.contacts = ContactsApi(api)
        self.fields = CustomFieldsApi(api)
        self.notes = NotesApi(api)
        self.tasks = TasksApi(api)
        self.opportunities = OpportunitiesApi(api)
        self.conversations = ConversationsApi(api)
        self.location = LocationApi(api)
        self.calendars = CalendarsApi(api)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: Engine,
        http_client: httpx.Client | None = None,
        *,
        options: GhlOptions | None = None,
    ) -> GhlClient:
        """A client configured by ``[ghl]``; ``http_client`` lets tests talk to an in-process emulator."""
        options = options or GhlOptions()
        owns = http_client is None
        http = http_client or httpx.Client(timeout=DEFAULT_TIMEOUT)
        gs = settings.ghl
        box = (
            SecretBox(settings.secret_key, owner="ghl")
            if settings.secret_key and settings.secret_key.get_secret_value()
            else None
        )
        auth = build_auth(gs, engine=engine, http=http, box=box, clock=options.clock)
        pacer = RequestPacer(
            engine,
            location_id=gs.location_id,
            budget=gs.daily_request_budget,
            burst=options.burst,
            interval=options.interval,
            clock=options.clock,
            monotonic=options.monotonic,
            sleep=options.sleep,
        )
        transport = Transport(
            http,
            policy=options.retry,
            limiter=ConcurrencyLimiter(limit=CONCURRENCY, complex_limit=CONCURRENCY),
            auth=auth,
            credits=pacer,
            error_mapper=GhlErrors(),
            sleep=options.sleep,
            seed=options.seed,
        )
        api = GhlApi(transport, gs.api_base_url, location_id=gs.location_id)
        return cls(api=api, pacer=pacer, auth=auth, http=http, owns_http=owns)

    @property
    def usage(self) -> UsageFigures:
        """Requests used in the last 24 hours against the daily budget, and GHL's own counters."""
        return self.pacer.figures()

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> GhlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_auth(
    gs: GhlSettings,
    *,
    engine: Engine,
    http: httpx.Client,
    box: SecretBox | None,
    clock: Callable[[], datetime] = utcnow,
) -> GhlAuth:
    """The strategy ``[ghl] auth`` names.

    Example:
        >>> from leadflow.store import open_store
        >>> from pydantic import SecretStr
        >>> gs = GhlSettings(auth="pit", token=SecretStr("pit-x"), location_id="loc1")
        >>> build_auth(gs, engine=open_store("sqlite://"), http=httpx.Client(), box=None).mode
        'pit'
    """
    if gs.auth == "pit":
        return PitAuth(gs.token.get_secret_value() if gs.token else "", location_id=gs.location_id)
    return OAuthAuth(
        client_id=gs.client_id,
        client_secret=gs.client_secret.get_secret_value() if gs.client_secret else "",
        location_id=gs.location_id,
        company_id=gs.company_id or None,
        base_url=gs.api_base_url,
        http=http,
        engine=engine,
        box=box,
        clock=clock,
    )
