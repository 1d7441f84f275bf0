"""A server that cannot be reached, over a real socket (a closed port): one typed error naming the host and the
cause, retried like any unsent call, and no credit booked for a request that never went out."""

from __future__ import annotations

import socket

import httpx
import pytest

from leadflow.errors import CreditBudgetExceeded, Unreachable
from leadflow.http import DefaultErrors, NoAuth, RequestSpec, RetryPolicy, Transport


def closed_port() -> int:
    """A local port nothing listens on: bound, read, closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Ledger:
    def __init__(self) -> None:
        self.booked = 0

    def reserve(self, cost: int, label: str) -> object:
        self.booked += cost
        return cost

    def release(self, reservation: object) -> None:
        assert isinstance(reservation, int)
        self.booked -= reservation

    def observe(self, response: httpx.Response) -> None:
        return None


class FailingAuth:
    """Auth whose token cannot be fetched (its own server is down)."""

    def auth_headers(self) -> dict[str, str]:
        raise Unreachable("cannot reach the token server", url="http://127.0.0.1:9/token", reason="connection refused")

    def should_refresh(self, response: httpx.Response) -> bool:
        return False

    def refresh(self, rejected: object) -> None:
        return None


def test_connection_refused_is_one_line_naming_the_host_after_the_retries() -> None:
    port = closed_port()
    sleeps: list[float] = []
    ledger = Ledger()
    transport = Transport(
        httpx.Client(),
        auth=NoAuth(),
        error_mapper=DefaultErrors("the API server", "[api] url and the network"),
        policy=RetryPolicy(max_attempts=6, max_connect_attempts=3),
        credits=ledger,
        sleep=sleeps.append,
    )
    with pytest.raises(Unreachable) as caught:
        transport.send(RequestSpec("POST", f"http://127.0.0.1:{port}/v1/things", json={}, cost=5))
    error = caught.value
    assert str(error) == (
        f"cannot reach the API server at http://127.0.0.1:{port} (connection refused): check [api] url and the network"
    )
    assert "\n" not in str(error)
    assert error.host == f"127.0.0.1:{port}"
    assert error.reason == "connection refused"
    assert isinstance(error.__cause__, httpx.ConnectError)
    assert len(sleeps) == 2  # never sent, so retried even for a write; a refusal rarely heals: 3 attempts, not 6
    assert transport.stats.attempts == 3
    assert ledger.booked == 0


def test_a_call_whose_auth_fails_first_books_no_credit() -> None:
    ledger = Ledger()
    transport = Transport(httpx.Client(), auth=FailingAuth(), error_mapper=DefaultErrors(), credits=ledger)
    with pytest.raises(Unreachable):
        transport.send(RequestSpec("GET", f"http://127.0.0.1:{closed_port()}/x"))
    assert ledger.booked == 0


def test_a_call_the_budget_refuses_is_not_counted_as_sent() -> None:
    class Broke(Ledger):
        def reserve(self, cost: int, label: str) -> object:
            raise CreditBudgetExceeded("over budget", cost=cost)

    transport = Transport(httpx.Client(), auth=NoAuth(), error_mapper=DefaultErrors(), credits=Broke())
    with pytest.raises(CreditBudgetExceeded):
        transport.send(RequestSpec("GET", f"http://127.0.0.1:{closed_port()}/x"))
    assert transport.stats.attempts == 0
