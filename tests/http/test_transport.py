"""The shared transport's own logic, driven by httpx.MockTransport: backoff arithmetic, Retry-After,
which failures are retried for reads and writes, auth refresh, credits and the concurrency caps."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping

import httpx
import pytest

from leadflow.errors import (
    ApiError,
    AuthExpired,
    Duplicate,
    FieldProblem,
    RateLimited,
    ResponseLost,
    TransientError,
    Unreachable,
    ValidationFailed,
)
from leadflow.http import (
    Authenticator,
    ConcurrencyLimiter,
    DefaultErrors,
    ErrorMapper,
    NoAuth,
    RequestSpec,
    RetryPolicy,
    Transport,
    chunked,
    error_class_for,
)
from leadflow.http.retry import parse_retry_after

URL = "https://api.example.test/thing"


def scripted(*answers: httpx.Response | Exception) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client whose server answers with ``answers`` in turn (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers[min(len(seen), len(answers) - 1)]
        seen.append(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.Client(transport=httpx.MockTransport(handler)), seen


def transport(client: httpx.Client, sleeps: list[float], **kwargs: object) -> Transport:
    return Transport(client, auth=NoAuth(), error_mapper=DefaultErrors(), sleep=sleeps.append, seed=42, **kwargs)  # type: ignore[arg-type]


def plain(client: httpx.Client, *, auth: Authenticator | None = None, **kwargs: object) -> Transport:
    errors: ErrorMapper = DefaultErrors()
    return Transport(client, auth=auth or NoAuth(), error_mapper=errors, **kwargs)  # type: ignore[arg-type]


def test_backoff_doubles_and_caps_without_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, jitter=0.0)
    assert [policy.backoff(n, random.Random(1)) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_jitter_is_seeded_and_stays_within_band() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=16.0, jitter=0.5)
    first = [policy.backoff(n, random.Random(7)) for n in range(1, 6)]
    again = [policy.backoff(n, random.Random(7)) for n in range(1, 6)]
    assert first == again
    for n, value in enumerate(first, start=1):
        ceiling = min(16.0, 2.0 ** (n - 1))
        assert ceiling * 0.5 <= value <= ceiling


def test_retry_after_in_seconds_and_as_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Thu, 01 Jan 2099 00:00:00 GMT") > 1e6  # type: ignore[operator]


def test_429_waits_what_retry_after_says_then_succeeds() -> None:
    client, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "2"}, json={"code": "TOO_MANY_REQUESTS"}),
        httpx.Response(429, headers={"Retry-After": "1"}, json={"code": "TOO_MANY_REQUESTS"}),
        httpx.Response(200, json={"ok": True}),
    )
    sleeps: list[float] = []
    response = transport(client, sleeps).send(RequestSpec("POST", URL, json={}, idempotent=False))
    assert response.status_code == 200
    assert sleeps == [2.0, 1.0]
    assert len(seen) == 3


def test_429_asking_for_too_long_raises_at_once() -> None:
    client, seen = scripted(httpx.Response(429, headers={"Retry-After": "3600"}, json={"code": "TOO_MANY_REQUESTS"}))
    sleeps: list[float] = []
    with pytest.raises(RateLimited) as caught:
        transport(client, sleeps).send(RequestSpec("GET", URL))
    assert caught.value.status == 429
    assert sleeps == []
    assert len(seen) == 1


def test_429_storm_gives_up_after_max_attempts_with_backoff() -> None:
    client, seen = scripted(httpx.Response(429, json={"code": "TOO_MANY_REQUESTS", "message": "slow down"}))
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=3.0, jitter=0.0)
    with pytest.raises(RateLimited, match="slow down"):
        transport(client, sleeps, policy=policy).send(RequestSpec("GET", URL))
    assert sleeps == [1.0, 2.0, 3.0]
    assert len(seen) == 4


def test_read_retries_5xx_and_timeouts() -> None:
    client, seen = scripted(
        httpx.Response(503),
        httpx.ReadTimeout("slow"),
        httpx.Response(502),
        httpx.Response(200, json={}),
    )
    sleeps: list[float] = []
    assert transport(client, sleeps).send(RequestSpec("GET", URL)).status_code == 200
    assert len(seen) == 4
    assert len(sleeps) == 3


def test_read_5xx_forever_is_a_transient_error() -> None:
    client, _ = scripted(httpx.Response(500, json={"code": "INTERNAL_ERROR", "message": "boom"}))
    with pytest.raises(TransientError) as caught:
        transport(client, [], policy=RetryPolicy(max_attempts=2)).send(RequestSpec("GET", URL))
    assert caught.value.status == 500
    assert caught.value.vendor_code == "INTERNAL_ERROR"


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("no answer"), httpx.RemoteProtocolError("server disconnected"), httpx.ReadError("reset")],
)
def test_write_whose_answer_was_lost_is_never_resent(failure: Exception) -> None:
    client, seen = scripted(failure, httpx.Response(201, json={}))
    sleeps: list[float] = []
    t = transport(client, sleeps)
    with pytest.raises(ResponseLost, match="reconcile"):
        t.send(RequestSpec("POST", URL, json={"data": [{}]}))
    assert len(seen) == 1
    assert sleeps == []
    assert t.stats.responses_lost == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_write_answered_by_a_server_failure_is_lost_not_retried(status: int) -> None:
    # Neither Zoho (INTERNAL_ERROR) nor GHL promises that a write answered 500 was not done; 502/504 come
    # from a gateway that may have passed it on: the caller reconciles, the transport never resends.
    client, seen = scripted(httpx.Response(status, json={"code": "INTERNAL_ERROR", "message": "boom"}))
    t = transport(client, [])
    with pytest.raises(ResponseLost, match="reconcile before sending it again") as caught:
        t.send(RequestSpec("PUT", URL, json={}))
    assert len(seen) == 1
    assert caught.value.status == status
    assert caught.value.vendor_code == "INTERNAL_ERROR"
    assert t.stats.server_errors == 1


def test_write_refused_by_503_429_or_not_sent_is_retried() -> None:
    client, seen = scripted(
        httpx.ConnectError("refused"), httpx.Response(503), httpx.Response(429), httpx.Response(201, json={})
    )
    sleeps: list[float] = []
    assert transport(client, sleeps).send(RequestSpec("POST", URL, json={})).status_code == 201
    assert len(seen) == 4
    assert len(sleeps) == 3


def test_4xx_comes_back_to_the_caller_unretried() -> None:
    client, seen = scripted(httpx.Response(400, json={"code": "INVALID_DATA"}))
    assert transport(client, []).send(RequestSpec("GET", URL)).status_code == 400
    assert len(seen) == 1


class FlakyAuth:
    def __init__(self) -> None:
        self.token = "old"
        self.refreshed: list[Mapping[str, str]] = []

    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self.token}"}

    def should_refresh(self, response: httpx.Response) -> bool:
        return response.status_code == 401

    def refresh(self, rejected: Mapping[str, str]) -> None:
        self.refreshed.append(rejected)
        self.token = "new"


def test_expired_token_is_refreshed_once_and_the_call_repeated() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"].endswith("old"):
            return httpx.Response(401, json={"code": "INVALID_TOKEN"})
        return httpx.Response(201, json={})

    auth = FlakyAuth()
    t = plain(httpx.Client(transport=httpx.MockTransport(handler)), auth=auth)
    assert t.send(RequestSpec("POST", URL, json={})).status_code == 201
    assert auth.refreshed == [{"Authorization": "Zoho-oauthtoken old"}]


def test_second_401_after_a_refresh_is_an_error_not_a_loop() -> None:
    client, seen = scripted(httpx.Response(401, json={"code": "INVALID_TOKEN", "message": "invalid oauth token"}))
    auth = FlakyAuth()
    response = plain(client, auth=auth).send(RequestSpec("GET", URL))
    assert response.status_code == 401
    assert len(auth.refreshed) == 1
    assert len(seen) == 2


class Ledger:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.spent = 0
        self.released = 0

    def reserve(self, cost: int, label: str) -> object:
        if self.spent + cost > self.budget:
            from leadflow.errors import CreditBudgetExceeded

            raise CreditBudgetExceeded(f"{label}: over budget")
        self.spent += cost
        return cost

    def release(self, reservation: object) -> None:
        assert isinstance(reservation, int)
        self.spent -= reservation
        self.released += 1

    def observe(self, response: httpx.Response) -> None:
        return None


def test_credits_are_booked_per_attempt_and_given_back_for_429() -> None:
    client, _ = scripted(httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200, json={}))
    ledger = Ledger(budget=100)
    transport(client, [], credits=ledger).send(RequestSpec("POST", URL, json={}, cost=10))
    assert ledger.spent == 10
    assert ledger.released == 1


def test_a_call_the_budget_cannot_afford_is_never_sent() -> None:
    from leadflow.errors import CreditBudgetExceeded

    client, seen = scripted(httpx.Response(200, json={}))
    with pytest.raises(CreditBudgetExceeded):
        transport(client, [], credits=Ledger(budget=5)).send(RequestSpec("POST", URL, json={}, cost=10))
    assert seen == []


def slow_server(delay: float) -> tuple[Callable[[httpx.Request], httpx.Response], dict[str, int]]:
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(delay)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, json={})

    return handler, state


def test_never_more_calls_in_flight_than_the_limit() -> None:
    handler, state = slow_server(0.01)
    t = plain(httpx.Client(transport=httpx.MockTransport(handler)), limiter=ConcurrencyLimiter(limit=3))
    threads = [threading.Thread(target=t.send, args=(RequestSpec("GET", URL),)) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state["peak"] == 3
    assert t.limiter.peak == 3
    assert t.limiter.in_flight == 0


def test_complex_calls_have_their_own_smaller_cap() -> None:
    handler, state = slow_server(0.01)
    limiter = ConcurrencyLimiter(limit=6, complex_limit=2)
    t = plain(httpx.Client(transport=httpx.MockTransport(handler)), limiter=limiter)
    spec = RequestSpec("POST", URL, json={}, complex_call=True, idempotent=True)
    threads = [threading.Thread(target=t.send, args=(spec,)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state["peak"] == 2


def test_chunked() -> None:
    assert list(chunked(range(250), 100)) == [list(range(100)), list(range(100, 200)), list(range(200, 250))]


def test_auth_expired_after_refresh_maps_by_status() -> None:
    from leadflow.http import error_class_for

    assert error_class_for(401) is AuthExpired


def test_a_success_without_its_promised_body_is_a_lost_response() -> None:
    client, seen = scripted(httpx.Response(201), httpx.Response(201, json={"data": []}))
    with pytest.raises(ResponseLost):
        transport(client, []).send(RequestSpec("POST", URL, json={}, expect_body=True))
    assert len(seen) == 1
    client, seen = scripted(httpx.Response(200), httpx.Response(200, json={"data": []}))
    assert transport(client, []).send(RequestSpec("GET", URL, expect_body=True)).json() == {"data": []}
    assert len(seen) == 2


class GhlStyleErrors:
    """An error mapper for GoHighLevel's replies (``{"statusCode", "message", "error", "traceId"}``, a duplicate's
    ``meta.contactId``), as the GHL client will supply one: the transport needs nothing else from a vendor."""

    def from_response(self, response: httpx.Response) -> ApiError:
        body = response.json()
        message = body.get("message")
        text = "; ".join(message) if isinstance(message, list) else str(message or body.get("error"))
        common: dict[str, object] = {"status": response.status_code, "request_id": body.get("traceId")}
        meta = body.get("meta") or {}
        if meta.get("contactId"):
            return Duplicate(text, existing_id=meta["contactId"], field=meta.get("matchingField"), **common)  # type: ignore[arg-type]
        if response.status_code == 422:
            problems = [FieldProblem(None, m) for m in (message if isinstance(message, list) else [text])]
            return ValidationFailed(text, problems=problems, **common)  # type: ignore[arg-type]
        return error_class_for(response.status_code)(text, vendor_code=body.get("error"), **common)  # type: ignore[arg-type]

    def unreachable(self, url: str, reason: str) -> Unreachable:
        return Unreachable(f"cannot reach GoHighLevel at {url} ({reason})", url=url, reason=reason)


class BearerToken:
    def auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": "Bearer pit-123", "Version": "2021-07-28"}

    def should_refresh(self, response: httpx.Response) -> bool:
        return False

    def refresh(self, rejected: Mapping[str, str]) -> None:
        raise AssertionError("not refreshed")


def test_the_same_transport_serves_another_vendor_with_its_own_auth_and_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer pit-123"
        if request.url.path == "/contacts/":
            return httpx.Response(
                400,
                json={
                    "statusCode": 400,
                    "message": "This location does not allow duplicated contacts.",
                    "meta": {"contactId": "c-42", "matchingField": "email"},
                    "traceId": "t-1",
                },
            )
        return httpx.Response(
            422, json={"statusCode": 422, "message": ["email must be an email"], "error": "Unprocessable Entity"}
        )

    ghl = Transport(
        httpx.Client(transport=httpx.MockTransport(handler)), auth=BearerToken(), error_mapper=GhlStyleErrors()
    )
    # Below 500 (429 aside) the transport hands the reply back; the vendor's client raises what its mapper says.
    refused = ghl.send(RequestSpec("POST", "https://services.leadconnectorhq.com/contacts/", json={}))
    duplicate = ghl.error_mapper.from_response(refused)
    assert isinstance(duplicate, Duplicate)
    assert (duplicate.existing_id, duplicate.field, duplicate.request_id) == ("c-42", "email", "t-1")
    invalid = ghl.send(RequestSpec("POST", "https://services.leadconnectorhq.com/contacts/upsert", json={}))
    error = ghl.error_mapper.from_response(invalid)
    assert isinstance(error, ValidationFailed)
    assert [p.message for p in error.problems] == ["email must be an email"]
