"""``ZohoClient``: one object that reads like the CRM (``zoho.leads.upsert(...)``, ``zoho.coql(...)``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine

from leadflow.config import Settings, ZohoSettings
from leadflow.errors import ConfigError
from leadflow.http import ConcurrencyLimiter, RetryPolicy, Transport
from leadflow.store import zoho as repo
from leadflow.store.runs import utcnow
from leadflow.zoho.activities import ActivitiesApi
from leadflow.zoho.api import ZohoApi, api_errors
from leadflow.zoho.attachments import AttachmentsApi
from leadflow.zoho.auth import OAuthRefreshAuth, ProxyAuth, StaticTokenAuth, ZohoAuth
from leadflow.zoho.bulk import BulkApi, CallbackWaiter
from leadflow.zoho.composite import CompositeApi
from leadflow.zoho.coql import iter_coql
from leadflow.zoho.credits import CreditFigures, CreditMeter
from leadflow.zoho.datacentres import DATA_CENTRES, data_centre_of
from leadflow.zoho.deals import DealsResource
from leadflow.zoho.functions import FunctionsApi
from leadflow.zoho.mail import MailApi
from leadflow.zoho.merge import MergeApi
from leadflow.zoho.metadata import MetadataApi, OrgApi, UsersApi
from leadflow.zoho.notifications import WatchApi
from leadflow.zoho.records import LeadsResource, ModuleResource
from leadflow.zoho.secrets import SecretBox
from leadflow.zoho.tags import TagsApi

COMPLEX_LIMIT = 10
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


@dataclass(frozen=True)
class ClientOptions:
    """Knobs tests and benchmarks turn; production uses the defaults.

    Example:
        >>> ClientOptions(seed=7).retry.max_attempts
        6
    """

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = utcnow
    seed: int | None = None
    bulk_poll_initial: float = 1.0
    bulk_poll_max: float = 30.0
    bulk_callback_url: str | None = None
    bulk_waiter: CallbackWaiter | None = None


class ZohoClient:
    """Zoho CRM: typed resources per module, COQL, bulk, tags, metadata, users, org and credit figures.

    Example:
        >>> zoho = ZohoClient.from_settings(load_settings(), open_store("sqlite:///leadflow.db"))  # doctest: +SKIP
        >>> [r.action for r in zoho.leads.upsert([{"Last_Name": "Lovelace", "Email": "ada@example.com"}])]
        ... # doctest: +SKIP
        ['insert']
    """

    def __init__(
        self,
        *,
        api: ZohoApi,
        meter: CreditMeter,
        http: httpx.Client,
        owns_http: bool = False,
        options: ClientOptions | None = None,
        allow_send_mail: bool = False,
    ) -> None:
        options = options or ClientOptions()
        self.api = api
        self.meter = meter
        self.http = http
        self._owns_http = owns_http
        self.leads = LeadsResource(api, "Leads")
        self.contacts = ModuleResource(api, "Contacts")
        self.accounts = ModuleResource(api, "Accounts")
        self.deals = DealsResource(api, "Deals")
        self.tasks = ModuleResource(api, "Tasks")
        self.calls = ModuleResource(api, "Calls")
        self.events = ModuleResource(api, "Events")
        self.notes = ModuleResource(api, "Notes")
        self.metadata = MetadataApi(api)
        self.users = UsersApi(api)
        self.org = OrgApi(api)
        self.tags = TagsApi(api)
        self.activities = ActivitiesApi(api)
        self.merge = MergeApi(api)
        self.composite = CompositeApi(api)
        self.attachments = AttachmentsApi(api)
        self.functions = FunctionsApi(api)
        self.mail = MailApi(api, allowed=allow_send_mail)
        self.watch = WatchApi(api, clock=options.clock)
        self.bulk = BulkApi(
            api,
            self.org,
            callback_url=options.bulk_callback_url,
            waiter=options.bulk_waiter,
            poll_initial=options.bulk_poll_initial,
            poll_max=options.bulk_poll_max,
            sleep=options.sleep,
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: Engine,
        http_client: httpx.Client | None = None,
        *,
        options: ClientOptions | None = None,
    ) -> ZohoClient:
        """A client configured by ``[zoho]``; ``http_client`` lets tests talk to an in-process emulator.

        Example:
            >>> zoho = ZohoClient.from_settings(settings, engine, http_client=TestClient(create_app()))
            ... # doctest: +SKIP
        """
        options = options or ClientOptions()
        owns = http_client is None
        http = http_client or httpx.Client(timeout=DEFAULT_TIMEOUT)
        zs = settings.zoho
        box = SecretBox(settings.secret_key) if settings.secret_key and settings.secret_key.get_secret_value() else None
        auth = build_auth(zs, engine=engine, http=http, box=box, clock=options.clock)
        meter = CreditMeter(engine, budget=zs.daily_credit_budget, clock=options.clock)
        transport = Transport(
            http,
            auth=auth,
            error_mapper=api_errors(auth),
            policy=options.retry,
            limiter=ConcurrencyLimiter(limit=zs.concurrency, complex_limit=COMPLEX_LIMIT),
            credits=meter,
            sleep=options.sleep,
            seed=options.seed,
        )
        return cls(
            api=ZohoApi(transport, auth),
            meter=meter,
            http=http,
            owns_http=owns,
            options=options,
            allow_send_mail=zs.allow_send_mail,
        )

    def module(self, api_name: str) -> ModuleResource:
        """Records of any module by API name (custom modules included).

        Example:
            >>> zoho.module("Vendors").insert([{"Vendor_Name": "Acme"}])  # doctest: +SKIP
        """
        if api_name == "Leads":
            return self.leads
        return ModuleResource(self.api, api_name)

    def coql(self, query: str, *params: Any) -> Iterator[dict[str, Any]]:
        """Rows of a COQL query, ``?`` placeholders bound safely; pages past 2,000 rows by itself.

        Example:
            >>> rows = zoho.coql("select Email, Last_Name from Leads where Lead_Source = ?", "Web")  # doctest: +SKIP
            >>> next(rows)["Email"]  # doctest: +SKIP
            'ada@example.com'
        """
        return iter_coql(self.api, query, params)

    @property
    def credits(self) -> CreditFigures:
        """Credits spent in the rolling 24 hours, the budget and what is left.

        Example:
            >>> zoho.credits.remaining  # doctest: +SKIP
            49890
        """
        return self.meter.figures()

    @property
    def data_centre(self) -> str | None:
        """The data centre in use (from the API host, else the setting); ``None`` for an emulator or proxy."""
        return data_centre_of(self.api.root()) or getattr(self.api.auth, "data_centre", None)

    @property
    def concurrency_peak(self) -> int:
        """The most calls this client ever had in flight at once."""
        return self.api.transport.limiter.peak

    def close(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> ZohoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_auth(
    zs: ZohoSettings,
    *,
    engine: Engine,
    http: httpx.Client,
    box: SecretBox | None,
    clock: Callable[[], datetime] = utcnow,
) -> ZohoAuth:
    """The auth strategy ``[zoho] auth`` names, with credentials from settings or the saved connection.

    Example:
        >>> from leadflow.config import ZohoSettings
        >>> from leadflow.store import open_store
        >>> zs = ZohoSettings(auth="proxy", api_base_url="https://pc.example/crm/v2/")
        >>> build_auth(zs, engine=open_store("sqlite://"), http=httpx.Client(), box=None).mode
        'proxy'
    """
    if zs.auth == "proxy":
        if not zs.api_base_url:
            raise ConfigError("[zoho] auth = proxy needs api_base_url (the proxy's URL ending in crm/v2/ or crm/v8/)")
        return ProxyAuth(zs.api_base_url)
    if zs.auth == "token":
        root = zs.api_base_url or DATA_CENTRES[zs.data_centre].api_url
        return StaticTokenAuth(
            zs.access_token.get_secret_value() if zs.access_token else "",
            api_root=root,
            api_version=zs.api_version,
            data_centre=zs.data_centre,
        )
    client_id = zs.client_id
    client_secret = zs.client_secret.get_secret_value() if zs.client_secret else ""
    refresh_token = zs.refresh_token.get_secret_value() if zs.refresh_token else ""
    data_centre = zs.data_centre
    accounts_url = zs.accounts_url
    if not refresh_token:
        with engine.connect() as connection:
            saved = repo.get_connection(connection)
        if saved is not None:
            saved_box = box or SecretBox.required(
                None, purpose="read the Zoho refresh token saved by `leadflow auth zoho`"
            )
            refresh_token = saved_box.decrypt(saved["refresh_token_encrypted"])
            client_id = client_id or saved["client_id"]
            if not client_secret and saved["client_secret_encrypted"]:
                client_secret = saved_box.decrypt(saved["client_secret_encrypted"])
            if "data_centre" not in zs.model_fields_set:
                data_centre = saved["data_centre"]
            accounts_url = accounts_url or saved["accounts_url"]
    return OAuthRefreshAuth(
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        http=http,
        engine=engine,
        data_centre=data_centre,
        accounts_url=accounts_url,
        api_base_url=zs.api_base_url,
        api_version=zs.api_version,
        box=box,
        clock=clock,
    )
