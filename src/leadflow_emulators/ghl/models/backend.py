"""The GHL emulator's state and rules for one sub-account (location), without HTTP.

``GhlBackend(db_path=None, location_id=..., token=..., seed=0, clock=None)`` composes the parts:
``contacts`` (create/update/upsert/delete/duplicate, tags, DND), ``custom_fields``, ``activities`` (notes,
tasks), ``opportunities`` (pipelines), ``conversations``, ``directory`` (location settings, custom values,
location tags, workflows and enrolments, users, calendars, appointments), ``oauth`` (tokens),
``limiter`` (rate limits from ``limits``), ``engagement`` (simulated contact behaviour) and ``faults``.

Every write goes through ``with backend.transaction():`` (one SQLite commit per API call). Every change GHL
would announce is appended to ``events`` (type, locationId, timestamp, webhookId and the payload) and handed
to each listener in ``listeners`` (the webhook dispatcher); ``deliveries`` records what receivers answered.
It implements the shared control plane's backend protocol: ``clock``, ``faults``, ``reset()``,
``seed(items)``, ``state()``, ``get_limits()``, ``set_limits(changes)``.

Example:
    >>> backend = GhlBackend(location_id="loc1", token="pit-00000000-0000-4000-8000-000000000000")
    >>> contact = backend.contacts.create({"locationId": "loc1", "email": "Ada@Example.com"})
    >>> backend.contacts.upsert({"locationId": "loc1", "email": "ada@example.com"})[1]
    False
    >>> [event["type"] for event in backend.events]
    ['ContactCreate', 'ContactUpdate']
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from leadflow_emulators.common.clock import Clock
from leadflow_emulators.ghl.models.activities import Activities
from leadflow_emulators.ghl.models.contacts import Contacts
from leadflow_emulators.ghl.models.conversations import Conversations
from leadflow_emulators.ghl.models.core import Core, iso_ms, public
from leadflow_emulators.ghl.models.customfields import CustomFields
from leadflow_emulators.ghl.models.directory import Directory, new_location
from leadflow_emulators.ghl.models.documents import Documents
from leadflow_emulators.ghl.models.engagement import Engagement
from leadflow_emulators.ghl.models.faults import Faults, GhlFaultConfig
from leadflow_emulators.ghl.models.ids import GhlIds
from leadflow_emulators.ghl.models.limits import GhlLimits, RateLimiter
from leadflow_emulators.ghl.models.oauth import OAuth
from leadflow_emulators.ghl.models.opportunities import Opportunities

DEFAULT_LOCATION_ID = "leadflowLocation00001"
DEFAULT_COMPANY_ID = "leadflowCompany000001"
DEFAULT_TOKEN = "pit-4c5e7a52-6f0b-4d55-9a57-3f1d2e0b9c11"
DEFAULT_CLIENT_ID = "65f0c0ffee0000000000abcd-lf0demo1"
DEFAULT_CLIENT_SECRET = "leadflow-ghl-demo-secret"
EVENT_LOG_SIZE = 10_000
SEED_KINDS = ("contact", "custom_field", "pipeline", "workflow", "user", "calendar")
_STATE_KINDS = (
    "contact", "note", "task", "tag", "custom_field", "custom_value", "pipeline", "opportunity", "workflow",
    "enrolment", "conversation", "message", "calendar", "appointment", "user", "engagement",
)  # fmt: skip

Listener = Callable[[dict[str, Any]], None]


class GhlBackend:
    def __init__(
        self,
        *,
        db_path: str | None = None,
        location_id: str = DEFAULT_LOCATION_ID,
        token: str = DEFAULT_TOKEN,
        company_id: str = DEFAULT_COMPANY_ID,
        seed: int = 0,
        clock: Clock | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self._clock = clock or Clock()
        self._faults = Faults(seed=seed, config_type=GhlFaultConfig)
        self.seed_value = seed
        self.docs = Documents(db_path)
        self.ids = GhlIds(seed)
        self.core = Core(self.docs, self._clock, self.ids, location_id, self._emit)
        self.limits = GhlLimits()
        self.limiter = RateLimiter(self._clock, self.limits)
        self.custom_fields = CustomFields(self.core)
        self.contacts = Contacts(self.core, self.custom_fields)
        self.activities = Activities(self.core, self.contacts)
        self.opportunities = Opportunities(self.core, self.contacts, self.custom_fields)
        self.conversations = Conversations(self.core, self.contacts)
        self.directory = Directory(self.core, self.contacts)
        self.oauth = OAuth(self.core, company_id)
        self.engagement = Engagement(self.core, self.contacts, self.conversations, self.directory, self.opportunities)
        self.events: deque[dict[str, Any]] = deque(maxlen=EVENT_LOG_SIZE)  # the latest events, for tests
        self.events_total = 0
        self.deliveries: list[dict[str, Any]] = []
        self.listeners: list[Listener] = []
        self.reset_hooks: list[Callable[[], None]] = []  # the webhook dispatcher drops queued sends
        self.webhooks_pending: Callable[[], int] = lambda: 0
        self.requests: Counter[str] = Counter()
        self.token = token
        self.company_id = company_id
        if self.docs.load():
            self.ids.continue_after(sum(self.docs.counts().values()))
        self._bootstrap()

    # ------------------------------------------------------------ protocol of the control plane
    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def faults(self) -> Faults:
        return self._faults

    @property
    def location_id(self) -> str:
        return self.core.location_id

    def _bootstrap(self) -> None:
        """Create what a fresh sub-account has (kept as loaded when the file already holds them)."""
        with self.transaction():
            if self.docs.get("location", self.location_id) is None:
                self.docs.put("location", new_location(self.location_id, self.company_id))
            if self.docs.get("token", self.token) is None:
                self.oauth.register_pit(self.token)
            if self.docs.get("oauth_client", DEFAULT_CLIENT_ID) is None:
                self.oauth.register_client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        self.contacts.reindex()
        self.conversations.reindex()

    def reset(self) -> None:
        for hook in self.reset_hooks:
            hook()
        with self.lock:
            self.docs.clear()
            self.events.clear()
            self.events_total = 0
            self.deliveries.clear()
            self.requests.clear()
            self.limiter.clear()
            self._faults.clear()
            self._bootstrap()

    def seed(self, items: Sequence[Any]) -> dict[str, Any]:
        """Load ``{"kind", "record"}`` items; returns ``{"inserted", "errors": [{"line", "message"}]}``."""
        inserted: Counter[str] = Counter()
        errors: list[dict[str, Any]] = []
        loaders: dict[str, Callable[[dict[str, Any]], Any]] = {
            "contact": self.contacts.load,
            "custom_field": self.custom_fields.create,
            "pipeline": self.opportunities.add_pipeline,
            "workflow": self.directory.add_workflow,
            "user": self.directory.add_user,
            "calendar": self.directory.add_calendar,
        }
        with self.transaction():
            for line, item in enumerate(items, start=1):
                try:
                    kind, record = item["kind"], item["record"]
                    if kind not in loaders or not isinstance(record, dict):
                        raise ValueError(f"kind must be one of {list(SEED_KINDS)} and record an object")
                    loaders[kind](record)
                    inserted[kind] += 1
                except Exception as error:
                    errors.append({"line": line, "message": str(error) or type(error).__name__})
        return {"inserted": dict(inserted), "errors": errors}

    def state(self) -> dict[str, Any]:
        with self.lock:
            counts = {kind: self.docs.count(kind) for kind in _STATE_KINDS}
            return {
                "counts": counts,
                "settings": self.core.settings(),
                "enrolments": [public(doc) for doc in self.docs.all("enrolment")],
                "messages": [self._message_summary(doc) for doc in self.docs.all("message")],
                "events": self.events_total,
                "webhooks_pending": self.webhooks_pending(),
                "deliveries": list(self.deliveries),
                "requests": dict(self.requests),
                "limits": self.limits.snapshot(),
                "now": self._clock.now().isoformat(),
            }

    def get_limits(self) -> dict[str, Any]:
        return self.limits.snapshot()

    def set_limits(self, changes: Mapping[str, Any]) -> None:
        self.limits.update(dict(changes))

    # ------------------------------------------------------------ writes and events
    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.lock, self.docs.transaction():
            yield

    def _emit(self, event_type: str, payload: dict[str, Any]) -> None:
        event = {
            "type": event_type,
            "locationId": self.location_id,
            **payload,
            "timestamp": iso_ms(self._clock.now()),  # when it is sent, even for an event that happened earlier
            "webhookId": self.ids.uuid(),
        }
        self.events.append(event)
        self.events_total += 1
        for listener in self.listeners:
            listener(event)

    def record_delivery(self, delivery: dict[str, Any]) -> None:
        with self.lock:
            self.deliveries.append(delivery)

    @staticmethod
    def _message_summary(doc: dict[str, Any]) -> dict[str, Any]:
        summary = {
            k: doc[k] for k in ("id", "messageType", "direction", "status", "contactId", "conversationId", "dateAdded")
        }
        if doc.get("_emailMessageId"):
            summary.update(emailMessageId=doc["_emailMessageId"], threadId=doc["_threadId"], subject=doc["_subject"])
        return summary

    def close(self) -> None:
        self.docs.close()
