"""Two people holding one address (an assistant, a shared inbox): Zoho's upsert, matching on Email, would write
the second over the first's record; only the person whose record holds it (else the first golden id) sends it."""

from __future__ import annotations

import sqlalchemy as sa

from leadflow.config import SyncSettings
from leadflow.store import open_store, sync_source
from leadflow.store.schema import crm_cluster_members, crm_records
from leadflow.sync.plan import Planner
from leadflow.sync.zoho_schema import zoho_schema
from tests.sync import golden


def _emails(engine: sa.Engine) -> dict[str, str | None]:
    with engine.connect() as connection:
        plan = Planner(zoho_schema(SyncSettings().zoho)).build(connection)
    return {op.golden_id: op.payload.get("Email") for op in plan.operations if op.kind == "person"}


def test_an_address_two_people_hold_is_sent_for_one_of_them(database_url: str) -> None:
    engine = open_store(database_url)
    with engine.begin() as connection:
        golden.add_person(connection, id="gp_b", first_name="Ann", last_name="Lee", email="office@acme.com")
        golden.add_person(connection, id="gp_a", first_name="Bo", last_name="Kim", email="office@acme.com")
        golden.add_person(connection, id="gp_c", first_name="Cy", last_name="Ng", email="cy@acme.com")
        assert sync_source.shared_email_owners(connection) == {"office@acme.com": {"gp_a"}}
    assert _emails(engine) == {"gp_a": "office@acme.com", "gp_b": None, "gp_c": "cy@acme.com"}

    with engine.begin() as connection:  # Zoho's record holding it belongs to gp_b: gp_b keeps it
        connection.execute(sa.insert(crm_records), [{"module": "Leads", "crm_id": "900", "email": "Office@Acme.com",
                                                     "fields": {}, "loaded_at": golden.now()}])  # fmt: skip
        link = {"crm_module": "Leads", "crm_id": "900", "golden_person_id": "gp_b", "match_reason": "email"}
        connection.execute(sa.insert(crm_cluster_members), [link])
        assert sync_source.shared_email_owners(connection) == {"office@acme.com": {"gp_b"}}
    assert _emails(engine) == {"gp_a": None, "gp_b": "office@acme.com", "gp_c": "cy@acme.com"}

    with engine.begin() as connection:  # a CRM record no golden person holds: nobody else writes its address
        connection.execute(sa.insert(crm_records), [{"module": "Contacts", "crm_id": "901", "email": "cy@acme.com",
                                                     "fields": {}, "loaded_at": golden.now()}])  # fmt: skip
        assert sync_source.shared_email_owners(connection)["cy@acme.com"] == {"crm:Contacts:901"}
    assert _emails(engine)["gp_c"] is None
    engine.dispose()
