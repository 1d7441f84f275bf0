"""A CRM record leadflow created is a copy of its person's merged values: it joins that person's row and is
evidence for nothing else (``Constraints.attached``), so the order files arrive in does not change who is joined."""

from __future__ import annotations

from leadflow.resolve.engine import Constraints, ResolveOptions, resolve
from tests.resolve.test_core import clusters_of, jo, table

OWN = "crm:Leads:900"


def rows() -> list[dict[str, object]]:
    return [
        jo("p:1", email="jo@acme.com", email_status="verified"),
        # another file's row: same name, elsewhere, and only the LinkedIn the CRM copy carries
        jo("p:2", linkedin_slug="jo-smith", company_name="Globex", company_key="globex", company_domain="globex.io",
           city="Oslo"),
        # the Lead a sync created for p:1's person, carrying what it knew then (from rows since merged away)
        jo(OWN, source_kind="crm", crm_module="Leads", crm_id="900", email="jo@acme.com", linkedin_slug="jo-smith"),
    ]  # fmt: skip


def test_an_own_record_joins_its_person_and_bridges_nothing() -> None:
    plain = resolve(table(rows()))
    assert clusters_of(plain)["p:1"] == clusters_of(plain)["p:2"]  # chained through the copy's two keys

    attached = resolve(table(rows()), options=ResolveOptions(constraints=Constraints(attached=((OWN, "p:1"),))))
    members = clusters_of(attached)
    assert members["p:1"] != members["p:2"]
    (link,) = [row for row in attached.crm_links.to_pylist() if row["crm_id"] == "900"]
    assert (link["golden_person_id"], link["match_reason"]) == (members["p:1"], "leadflow_id")
    assert attached.review.num_rows == 0 or all(
        OWN not in (r["rid_l"], r["rid_r"]) for r in attached.review.to_pylist()
    )
