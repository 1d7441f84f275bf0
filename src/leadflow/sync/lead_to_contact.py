"""A Lead leadflow wrote for a person later matched to an existing Contact becomes that Contact in Zoho, once.

Week 1 a file brings a person Zoho does not hold yet: sync creates a Lead. Week 2 another file carries the
evidence that joins that person to a Contact the CRM already had: the golden person now holds both. Left alone,
Zoho keeps a Lead and a Contact for one person, both carrying its ``Leadflow_ID``. ``[sync.zoho]
lead_matched_to_contact`` decides:

- ``convert`` (default): Zoho's lead conversion into the existing Contact (``Contacts: {id}``), which keeps the
  Contact's values and moves the Lead's Notes, Tasks, Calls and the like to it; the Lead leaves the Leads list;
- ``merge``: the same call with ``overwrite: true``, so the Contact also takes the Lead's field values (Zoho
  merges records within one module only; conversion is how a Lead folds into a Contact);
- ``report``: nothing is sent; the pair is listed (``lead_conversions``, state ``reported``) for a person to act.

Each Lead is one row of ``lead_conversions`` (the outbox of that one call): marked ``in_flight`` and committed
before the call; a row found ``in_flight`` (a crash, a lost answer) is reconciled by asking Zoho whether the Lead
is converted already, and is only resent if it is not. A Lead Zoho already converted counts as done.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from leadflow.errors import ApiError, AuthError, RateLimited, ResponseLost, TransientError
from leadflow.store import lead_conversions as store
from leadflow.store.lead_conversions import ConversionState, LeadConversion
from leadflow.sync.target import TargetUnreachable, reachable

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from leadflow.zoho.client import ZohoClient

ACTIONS = ("convert", "merge", "report")
RECONCILED = "Leads converted into their Contact (found converted after a lost answer)"


def settle_leads_matched_to_contacts(
    engine: Engine,
    zoho: ZohoClient,
    *,
    action: str = "convert",
    external_id_field: str = "Leadflow_ID",
    run_id: int | None = None,
) -> Counter[str]:
    """Find Leads leadflow wrote whose person resolve now links to a Contact, and convert (or merge, or report)
    each one exactly once. Returns counts for the sync report.

    Errors about the call (a lost answer, 5xx, 429, auth, unreachable) propagate and leave the row ``in_flight``
    or ``pending`` for the next run; Zoho refusing the conversion itself fails that row with Zoho's code.
    """
    if action not in ACTIONS:
        raise ValueError(f"lead_matched_to_contact must be one of {', '.join(ACTIONS)}, not {action!r}")
    counts: Counter[str] = Counter()
    with engine.begin() as connection:
        found = store.leads_matched_to_contacts(connection, external_id_field=external_id_field)
        added = store.record_matches(connection, found, action=action, run_id=run_id)
        todo = store.open_conversions(connection)
    if added and action == "report":
        counts["Leads matched to a Contact (reported, not converted)"] += added
    for row in todo:
        counts[_settle(engine, zoho, row, run_id)] += 1
    return counts


def _settle(engine: Engine, zoho: ZohoClient, row: LeadConversion, run_id: int | None) -> str:
    if row.state == ConversionState.IN_FLIGHT and _in_zoho_converted(zoho, row.lead_id):
        _done(engine, row, run_id)
        return RECONCILED
    account_id = _account_of(engine, row.contact_id)
    with engine.begin() as connection:
        store.mark(connection, lead_id=row.lead_id, state=ConversionState.IN_FLIGHT, run_id=run_id)
    try:
        with reachable():
            zoho.leads.convert(
                row.lead_id, contact_id=row.contact_id, account_id=account_id, overwrite=row.action == "merge"
            )
    except (TargetUnreachable, AuthError, RateLimited):
        with engine.begin() as connection:  # nothing was done: sent again by the next run
            store.mark(connection, lead_id=row.lead_id, state=ConversionState.PENDING, run_id=run_id)
        raise
    except (ResponseLost, TransientError):
        # sent, answer unknown: ask Zoho now; if it cannot tell, the row stays in flight for the next run
        with reachable():
            converted = _converted(zoho, row.lead_id)
        if converted:
            _done(engine, row, run_id)
            return RECONCILED
        return "Lead conversions unanswered (checked before any resend)"
    except ApiError as exc:
        if exc.vendor_code == "ID_ALREADY_CONVERTED":
            _done(engine, row, run_id)
            return "Leads converted into their Contact (already converted in Zoho)"
        with engine.begin() as connection:
            store.mark(connection, lead_id=row.lead_id, state=ConversionState.FAILED, run_id=run_id,
                       error_code=exc.vendor_code or str(exc.status or ""), error_message=exc.message)  # fmt: skip
        return "Leads matched to a Contact, conversion refused"
    _done(engine, row, run_id)
    return "Leads merged into their Contact" if row.action == "merge" else "Leads converted into their Contact"


def _done(engine: Engine, row: LeadConversion, run_id: int | None) -> None:
    with engine.begin() as connection:
        store.mark(connection, lead_id=row.lead_id, state=ConversionState.DONE, run_id=run_id)
        store.forget_converted_lead(connection, lead_id=row.lead_id)


def _converted(zoho: ZohoClient, lead_id: str) -> bool:
    """Whether Zoho lists the Lead among converted Leads (the look-up before any resend)."""
    return any(str(lead["id"]) == lead_id for lead in zoho.leads.iter(["Last_Name"], converted=True, ids=[lead_id]))


def _in_zoho_converted(zoho: ZohoClient, lead_id: str) -> bool:
    with reachable():
        return _converted(zoho, lead_id)


def _account_of(engine: Engine, contact_id: str) -> str | None:
    """The Contact's Account, so the conversion uses it instead of finding or creating one by the Lead's
    company name (Zoho's default)."""
    with engine.connect() as connection:
        return store.contact_account(connection, contact_id=contact_id)
