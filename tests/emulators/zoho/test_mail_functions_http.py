"""Send mail (recorded, never sent; opted-out recipients blocked) and REST API functions over HTTP, every JSON
answer checked against Zoho's OAS."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from leadflow_emulators.zoho.models import ZohoBackend

SENDER = {"user_name": "Leadflow Admin", "email": "admin@leadflow.example"}


def _contact(api: TestClient, email: str, *, opted_out: bool = False) -> str:
    row = {"Last_Name": email.split("@")[0], "Email": email, "Email_Opt_Out": opted_out}
    return str(api.post("/crm/v8/Contacts", json={"data": [row]}).json()["data"][0]["details"]["id"])


def _send(api: TestClient, contact: str, **item: Any) -> Any:
    return api.post(f"/crm/v8/Contacts/{contact}/actions/send_mail", json={"data": [{"from": SENDER, **item}]})


def test_send_mail_is_recorded_in_the_records_emails_and_opted_out_recipients_are_blocked(
    api: TestClient, backend: ZohoBackend
) -> None:
    contact = _contact(api, "ada@example.com")
    _contact(api, "nomail@example.com", opted_out=True)
    assert api.get("/crm/v8/settings/emails/actions/from_addresses").json()["from_addresses"][0]["email"]
    sent = _send(
        api,
        contact,
        to=[{"user_name": "Ada", "email": "ada@example.com"}],
        cc=[{"email": "nomail@example.com"}],
        subject="Hello",
        content="<p>Hi Ada</p>",
    )
    assert sent.status_code == 200
    details = sent.json()["data"][0]["details"]
    assert details["blocked_email_addresses"] == [{"email": "nomail@example.com", "reason": "email_opt_out"}]
    [mail] = backend.features.mail.mails
    assert ([person["email"] for person in mail.to], mail.cc) == (["ada@example.com"], [])
    emails = api.get(f"/crm/v8/Contacts/{contact}/Emails").json()["Emails"]
    assert [(email["subject"], email["message_id"]) for email in emails] == [("Hello", details["message_id"])]


def test_send_mail_refusals(api: TestClient) -> None:
    contact = _contact(api, "bob@example.com")
    unverified = api.post(
        f"/crm/v8/Contacts/{contact}/actions/send_mail",
        json={
            "data": [{"from": {"email": "someone@else.example"}, "to": [{"email": "bob@example.com"}], "content": "x"}]
        },
    )
    assert unverified.json()["data"][0]["details"] == {"api_name": "from", "json_path": "$.data[0].from"}
    assert _send(api, contact, content="x").json()["details"]["api_name"] == "to"
    no_body = _send(api, contact, to=[{"email": "bob@example.com"}]).json()
    assert (no_body["code"], no_body["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", "content")
    assert api.get(f"/crm/v8/Contacts/{contact}/Emails").status_code == 204


def test_functions_by_oauth_and_api_key_and_not_found(anon: TestClient, backend: ZohoBackend) -> None:
    from tests.emulators.zoho.conftest import token_for

    backend.features.functions.register(
        "greet", lambda arguments: f"hello {arguments.get('name', 'you')}", api_key="k1"
    )
    headers = {"Authorization": f"Zoho-oauthtoken {token_for(anon)}"}
    by_post = anon.post("/crm/v7/functions/greet/actions/execute", json={"arguments": {"name": "Ada"}}, headers=headers)
    assert by_post.json() == {
        "code": "success",
        "details": {"output": "hello Ada", "output_type": "string", "id": backend.directory.current_user_id},
        "message": "function executed successfully",
    }
    by_key = anon.get(
        "/crm/v7/functions/greet/actions/execute", params={"auth_type": "apikey", "zapikey": "k1", "name": "Bo"}
    )
    assert by_key.json()["details"]["output"] == "hello Bo"
    assert (
        anon.get("/crm/v7/functions/greet/actions/execute", params={"auth_type": "apikey", "zapikey": "no"}).status_code
        == 401
    )
    missing = anon.post("/crm/v7/functions/nothing/actions/execute", headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "INVALID_URL_PATTERN")
    assert anon.post("/crm/v7/functions/greet/actions/execute").status_code == 401  # no token
    created = anon.post("/_emulator/functions", json={"name": "const", "kind": "constant", "output": [1, 2]}).json()
    listed = anon.get(
        "/crm/v7/functions/const/actions/execute", params={"auth_type": "apikey", "zapikey": created["api_key"]}
    )
    assert listed.json()["details"] == {
        "output": "[1, 2]",
        "output_type": "list",
        "id": backend.directory.current_user_id,
    }
