"""What routes receive through FastAPI's dependencies: the app's runtime, never a module global."""

from __future__ import annotations

from fastapi import Request

from leadflow.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    """The runtime of the app serving ``request`` (set by :func:`leadflow.web.app.create_app`)."""
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime
