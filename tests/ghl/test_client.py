"""Every GHL client method against the GHL emulator (in process): what GHL answers, how errors surface."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.errors import ApiError, AuthError, Duplicate, ValidationFailed
from leadflow.ghl import GhlClient, GhlOptions
from leadflow.ghl.errors import trace_id
from leadflow.ghl.fields import CustomFieldSpec, values_by_id
from leadflow.http import RetryPolicy
from tests.ghl.conftest import Emulator, make_client

PIPELINE = {
    "id": "pipeOutbound000000001",
    "name": "Outbound",
    "stages": [
        {"id": "stageNew0000000000001", "name": "New", "position": 0},
        {"id": "stageMeet000000000001", "name": "Meeting booked", "position": 1},
        {"id": "stageWon0000000000001", "name": "Won", "position": 2},
    ],
}
WORKFLOW = {
    "id": "wf-7b2a2816-d2a9-461e-b010-000000000001",
    "name": "Hot sequence",
    "status": "published",
    "version": 3,
}


def test_contact_lifecycle_and_duplicate_rule(ghl: GhlClient) -> None:
    created = ghl.contacts.create({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"})
    assert created["id"]
    assert ghl.contacts.get(created["id"])["email"] == "ada@example.com"
    with pytest.raises(Duplicate) as duplicate:
        ghl.contacts.create({"firstName": "Ada", "email": "ada@example.com"})
    assert duplicate.value.existing_id == created["id"]
    assert duplicate.value.field == "email"
    updated = ghl.contacts.update(created["id"], {"lastName": "King"})
    assert updated["lastName"] == "King"
    again = ghl.contacts.upsert({"email": "ada@example.com", "firstName": "Augusta"})
    assert (again.new, again.id) == (False, created["id"])
    fresh = ghl.contacts.upsert({"email": "grace@example.com", "firstName": "Grace"})
    assert fresh.new
    found = ghl.contacts.find_duplicate(email="grace@example.com")
    assert found is not None
    assert found["id"] == fresh.id
    ghl.contacts.delete(fresh.id)
    assert ghl.contacts.find_duplicate(email="grace@example.com") is None


def test_unknown_property_is_a_validation_error(ghl: GhlClient) -> None:
    with pytest.raises(ValidationFailed, match="property nickname should not exist") as error:
        ghl.contacts.create({"firstName": "Ada", "email": "a@example.com", "nickname": "A"})
    assert error.value.status == 422
    assert trace_id(error.value)
    assert [p.field for p in error.value.problems] == ["nickname"]


def test_search_pages_past_a_thousand_without_repeats(emulator: Emulator, ghl: GhlClient) -> None:
    emulator.seed(
        [{"kind": "contact", "record": {"firstName": f"P{i}", "email": f"p{i:05d}@example.com"}} for i in range(1_234)]
    )
    ids = [c["id"] for c in ghl.contacts.search(page_limit=200)]
    assert len(ids) == 1_234
    assert len(set(ids)) == 1_234
    legacy = [c["id"] for c in ghl.contacts.list_all(limit=100)]
    assert sorted(legacy) == sorted(ids)


def test_tags_one_by_one_and_in_bulk_keep_hand_added_tags(ghl: GhlClient) -> None:
    contact = ghl.contacts.create({"firstName": "Ada", "email": "ada@example.com", "tags": ["VIP"]})
    assert set(ghl.contacts.add_tags(contact["id"], ["LF-Hot"])) == {"vip", "lf-hot"}  # GHL keeps tags lowercase
    other = ghl.contacts.create({"firstName": "Grace", "email": "grace@example.com"})
    result = ghl.contacts.bulk_tags([contact["id"], other["id"]], ["lf-nurture"], add=True)
    assert result.succeeded
    assert set(result.by_contact) == {contact["id"], other["id"]}
    ghl.contacts.remove_tags(contact["id"], ["lf-hot"])
    assert set(ghl.contacts.get(contact["id"])["tags"]) == {"vip", "lf-nurture"}


def test_custom_fields_are_ensured_once_and_written_by_id(ghl: GhlClient) -> None:
    specs = [CustomFieldSpec("Leadflow ID", "TEXT"), CustomFieldSpec("Leadflow Fit", "NUMERICAL")]
    ids = ghl.fields.ensure(specs)
    assert ghl.fields.ensure(specs) == ids
    assert len([f for f in ghl.fields.definitions(model="contact") if f["name"].startswith("Leadflow")]) == 2
    contact = ghl.contacts.upsert(
        {"email": "ada@example.com", "customFields": [{"id": ids["Leadflow ID"], "field_value": "gp_1"}]}
    )
    assert values_by_id(ghl.contacts.get(contact.id))[ids["Leadflow ID"]] == "gp_1"
    assert ghl.fields.get(ids["Leadflow ID"])["name"] == "Leadflow ID"


def test_notes_and_tasks(ghl: GhlClient) -> None:
    contact = ghl.contacts.create({"firstName": "Ada", "email": "ada@example.com"})
    note = ghl.notes.create(contact["id"], "Replied: send the deck")
    assert [n["id"] for n in ghl.notes.list(contact["id"])] == [note["id"]]
    assert ghl.notes.update(contact["id"], note["id"], "Replied: deck sent")["body"] == "Replied: deck sent"
    task = ghl.tasks.create(contact["id"], title="Call back", due_date="2026-12-07T09:00:00Z")
    assert ghl.tasks.complete(contact["id"], task["id"])["completed"] is True
    assert ghl.tasks.get(contact["id"], task["id"])["title"] == "Call back"
    ghl.notes.delete(contact["id"], note["id"])
    ghl.tasks.delete(contact["id"], task["id"])
    assert ghl.notes.list(contact["id"]) == []
    assert ghl.tasks.list(contact["id"]) == []


def test_opportunities_move_status_search_and_duplicate(emulator: Emulator, ghl: GhlClient) -> None:
    emulator.seed([{"kind": "pipeline", "record": PIPELINE}])
    contact = ghl.contacts.create({"firstName": "Ada", "email": "ada@example.com"})
    assert [p["id"] for p in ghl.opportunities.pipelines()] == [PIPELINE["id"]]
    opportunity = ghl.opportunities.create(
        pipeline_id=PIPELINE["id"], contact_id=contact["id"], name="Ada - Outbound", monetary_value=1200
    )
    with pytest.raises(Duplicate) as duplicate:
        ghl.opportunities.create(pipeline_id=PIPELINE["id"], contact_id=contact["id"], name="again")
    assert duplicate.value.existing_id == opportunity["id"]
    moved = ghl.opportunities.move(opportunity["id"], stage_id="stageMeet000000000001")
    assert moved["pipelineStageId"] == "stageMeet000000000001"
    ghl.opportunities.set_status(opportunity["id"], "won")
    assert ghl.opportunities.get(opportunity["id"])["status"] == "won"
    assert [o["id"] for o in ghl.opportunities.search(contact_id=contact["id"], status="all")] == [opportunity["id"]]
    ghl.opportunities.delete(opportunity["id"])


def test_workflow_enrolment_is_recorded(emulator: Emulator, ghl: GhlClient) -> None:
    emulator.seed([{"kind": "workflow", "record": WORKFLOW}])
    contact = ghl.contacts.create({"firstName": "Ada", "email": "ada@example.com"})
    assert [w["name"] for w in ghl.location.workflows()] == ["Hot sequence"]
    ghl.contacts.add_to_workflow(contact["id"], WORKFLOW["id"])
    enrolments = emulator.state()["enrolments"]
    assert [(e["contactId"], e["workflowId"]) for e in enrolments] == [(contact["id"], WORKFLOW["id"])]
    ghl.contacts.remove_from_workflow(contact["id"], WORKFLOW["id"])
    assert emulator.state()["enrolments"][0]["status"] == "removed"


def test_conversations_send_read_and_dnd_refused(ghl: GhlClient) -> None:
    contact = ghl.contacts.create({"firstName": "Ada", "email": "ada@example.com", "phone": "+14155550100"})
    sent = ghl.conversations.send(contact["id"], "Email", subject="Hello", html="<p>Hi Ada</p>")
    assert sent.email_message_id
    conversations = list(ghl.conversations.search(contact_id=contact["id"]))
    assert [c["id"] for c in conversations] == [sent.conversation_id]
    messages = list(ghl.conversations.messages(sent.conversation_id))
    assert [m["id"] for m in messages] == [sent.message_id]
    ghl.contacts.update(contact["id"], {"dndSettings": {"SMS": {"status": "active"}}})
    with pytest.raises(ApiError) as refused:
        ghl.conversations.send(contact["id"], "SMS", message="Hi")
    assert refused.value.status == 400


def test_location_and_usage(ghl: GhlClient) -> None:
    location = ghl.location.get()
    assert location["settings"]["allowDuplicateContact"] is False
    ghl.location.create_tag("lf-hot")
    assert "lf-hot" in [t["name"] for t in ghl.location.tags()]
    assert ghl.usage.requests >= 3
    assert ghl.usage.server_daily_remaining is not None


def test_pacing_keeps_every_window_under_the_limit_on_the_server_side(emulator: Emulator, tmp_path: Path) -> None:
    emulator.control("POST", "limits", {"enabled": True, "burst": 20, "burst_window_ms": 1000})
    options = GhlOptions(retry=RetryPolicy(max_attempts=1), burst=20, interval=1.0)
    ghl = make_client(emulator, tmp_path, options=options)
    for i in range(65):
        ghl.contacts.upsert({"email": f"p{i}@example.com"})
    # one attempt per call: a single 429 from the emulator's limiter would have failed the loop
    assert ghl.pacer.max_in_any_window() == 20
    assert ghl.api.transport.stats.rate_limited == 0
    assert ghl.pacer.waited > 0


def test_a_429_storm_is_waited_out(emulator: Emulator, tmp_path: Path) -> None:
    emulator.control("POST", "faults", {"burst_429": 3})
    options = GhlOptions(retry=RetryPolicy(max_attempts=6, base_delay=0.0, max_delay=0.0))
    ghl = make_client(emulator, tmp_path, options=options)
    assert ghl.contacts.upsert({"email": "ada@example.com"}).new
    assert ghl.api.transport.stats.rate_limited == 3


def test_oauth_refresh_rotates_and_survives_expiry_mid_run(emulator: Emulator, tmp_path: Path) -> None:
    from leadflow.ghl.auth import OAuthAuth, token_request

    code = emulator.control("POST", "oauth/codes", {"client_id": "65f0c0ffee0000000000abcd-lf0demo1"})["code"]
    ghl = make_client(emulator, tmp_path, auth="oauth")
    assert isinstance(ghl.auth, OAuthAuth)
    grant = token_request(
        emulator.http,
        "http://testserver/oauth/token",
        {
            "client_id": ghl.auth.client_id,
            "client_secret": "leadflow-ghl-demo-secret",
            "grant_type": "authorization_code",
            "code": code,
            "user_type": "Location",
        },
    )
    ghl.auth.save_grant(grant)
    ghl.contacts.upsert({"email": "ada@example.com"})
    emulator.control("POST", "tokens/expire")
    ghl.contacts.upsert({"email": "grace@example.com"})  # refreshed on the 401, then resent
    assert ghl.auth.refreshes == 1
    # the first refresh token was spent by that refresh: GHL refuses it now
    assert grant.refresh_token
    with pytest.raises(AuthError, match="refresh token is invalid"):
        token_request(
            emulator.http,
            "http://testserver/oauth/token",
            {
                "client_id": ghl.auth.client_id,
                "client_secret": "leadflow-ghl-demo-secret",
                "grant_type": "refresh_token",
                "refresh_token": grant.refresh_token,
            },
        )
    # a second process on the same store reads the rotated token, not the spent one
    second = make_client(emulator, tmp_path, auth="oauth")
    emulator.control("POST", "tokens/expire")
    second.contacts.upsert({"email": "linus@example.com"})
    assert second.auth.refreshes == 1  # type: ignore[union-attr]


def test_a_token_refresh_answered_500_is_an_auth_error_and_never_resent(emulator: Emulator, tmp_path: Path) -> None:
    from leadflow.ghl.auth import token_request

    client_id = "65f0c0ffee0000000000abcd-lf0demo1"
    code = emulator.control("POST", "oauth/codes", {"client_id": client_id})["code"]
    url = "http://testserver/oauth/token"
    form = {"client_id": client_id, "client_secret": "leadflow-ghl-demo-secret", "user_type": "Location"}
    grant = token_request(emulator.http, url, {**form, "grant_type": "authorization_code", "code": code})
    assert grant.refresh_token
    refresh = {**form, "grant_type": "refresh_token", "refresh_token": grant.refresh_token}
    emulator.control("POST", "faults", {"error_after_commit": 1, "path_contains": "/oauth/token"})
    with pytest.raises(AuthError, match=r"did not answer the token request.*run `leadflow auth ghl` again"):
        token_request(emulator.http, url, refresh)  # GHL rotated the tokens, then answered 500
    assert emulator.control("GET", "faults")["errors_injected"] == 1
    with pytest.raises(AuthError, match="refresh token is invalid"):  # sent once: spent by that one call
        token_request(emulator.http, url, refresh)


def test_bad_token_is_a_clear_auth_error(emulator: Emulator, tmp_path: Path) -> None:
    from pydantic import SecretStr

    ghl = make_client(emulator, tmp_path, token=SecretStr("pit-00000000-0000-4000-8000-000000000000"))
    with pytest.raises(AuthError):
        ghl.location.get()


def test_location_tokens_are_minted_from_an_agency_token(emulator: Emulator, tmp_path: Path) -> None:
    from leadflow.ghl.auth import OAuthAuth, token_request
    from leadflow_emulators.ghl.models.backend import DEFAULT_COMPANY_ID

    code = emulator.control(
        "POST", "oauth/codes", {"client_id": "65f0c0ffee0000000000abcd-lf0demo1", "user_type": "Company"}
    )["code"]
    ghl = make_client(emulator, tmp_path, auth="oauth", company_id=DEFAULT_COMPANY_ID)
    assert isinstance(ghl.auth, OAuthAuth)
    grant = token_request(
        emulator.http,
        "http://testserver/oauth/token",
        {
            "client_id": ghl.auth.client_id,
            "client_secret": "leadflow-ghl-demo-secret",
            "grant_type": "authorization_code",
            "code": code,
            "user_type": "Company",
        },
    )
    assert grant.user_type == "Company"
    ghl.auth.save_grant(grant)  # saved as the agency's; no location token yet
    assert ghl.contacts.upsert({"email": "ada@example.com"}).new  # the location token is minted on first use
    assert ghl.auth.refreshes == 1
    emulator.control("POST", "tokens/expire")
    ghl.contacts.upsert({"email": "grace@example.com"})  # both expired: the agency token is refreshed first
    assert ghl.auth.refreshes == 2
