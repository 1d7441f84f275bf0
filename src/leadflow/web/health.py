"""``GET /healthz``: is the store reachable? 200 when it answers, 503 with the reason when it does not.

The check reads one row and changes nothing (a load balancer calls it every few seconds).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from leadflow.errors import LeadflowError
from leadflow.log import get_logger, redactor
from leadflow.runtime import Runtime
from leadflow.web.deps import runtime_of

router = APIRouter()


@router.get("/healthz")
def healthz(runtime: Annotated[Runtime, Depends(runtime_of)]) -> JSONResponse:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
    except (SQLAlchemyError, LeadflowError) as exc:
        reason = redactor.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        get_logger(__name__).warning("healthz.store_unreachable", error=reason)
        return JSONResponse({"status": "unavailable", "store": reason}, status_code=503)
    return JSONResponse({"status": "ok", "store": "reachable"})
