"""The route helper: a handler of one API call becomes a Starlette endpoint run through the emulator's gate.

Every emulator has one ``call`` function that does what all of its routes share (authentication, version
header, scopes, rate limits, credits, latency faults, the error envelope) and then runs a handler with a
per-call context. ``api_route(call, **options)`` is the decorator that wires a handler to it, so a route
is its handler and nothing else. An option may be ``PathParam("name")``: it is replaced by that path
parameter of the request before ``call`` sees it.

``call`` has the signature ``async def call(request, *, handler, **options) -> Response``.

Example:
    >>> import asyncio
    >>> from starlette.responses import PlainTextResponse
    >>> async def call(request, *, handler, greeting):
    ...     return handler(f"{greeting}, {request.path_params['name']}")
    >>> @api_route(call, greeting="hello")
    ... def hello(text):
    ...     return PlainTextResponse(text)
    >>> class FakeRequest:
    ...     path_params = {"name": "Ada"}
    >>> asyncio.run(hello(FakeRequest())).body
    b'hello, Ada'
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

Context = TypeVar("Context")
Handler = Callable[[Context], Response]
Endpoint = Callable[[Request], Awaitable[Response]]
Call = Callable[..., Awaitable[Response]]


@dataclass(frozen=True)
class PathParam:
    """An option taken from the request's path, e.g. ``target=PathParam("module")``."""

    name: str

    def of(self, request: Request) -> str:
        return str(request.path_params[self.name])


def api_route(call: Call, **options: Any) -> Callable[[Callable[[Context], Response]], Endpoint]:
    """Decorate ``handler(ctx) -> Response`` into an endpoint that awaits ``call(request, handler=..., **options)``."""

    def decorate(handler: Callable[[Context], Response]) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            resolved = {
                key: value.of(request) if isinstance(value, PathParam) else value for key, value in options.items()
            }
            return await call(request, handler=handler, **resolved)

        return endpoint

    return decorate
