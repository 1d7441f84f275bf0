"""Attachments over HTTP (JSON answers checked against Zoho's OAS): files and links, list, download, delete,
the 20 MB limit."""

from __future__ import annotations

from starlette.testclient import TestClient

from leadflow_emulators.zoho.models.attachments import MAX_ATTACHMENT_BYTES


def _lead(api: TestClient) -> str:
    return str(api.post("/crm/v8/Leads", json={"data": [{"Last_Name": "Files"}]}).json()["data"][0]["details"]["id"])


def test_upload_list_download_and_delete(api: TestClient) -> None:
    lead = _lead(api)
    uploaded = api.post(
        f"/crm/v8/Leads/{lead}/Attachments", files={"file": ("deck.pdf", b"%PDF-1.7 deck", "application/pdf")}
    )
    assert uploaded.status_code == 200
    file_id = uploaded.json()["data"][0]["details"]["id"]
    linked = api.post(
        f"/crm/v8/Leads/{lead}/Attachments",
        params={"attachmentUrl": "https://example.com/case-study", "title": "Case study"},
    )
    link_id = linked.json()["data"][0]["details"]["id"]
    listed = api.get(f"/crm/v8/Leads/{lead}/Attachments", params={"fields": "id,File_Name,Size,$link_url"}).json()
    by_id = {item["id"]: item for item in listed["data"]}
    assert (by_id[file_id]["File_Name"], by_id[file_id]["Size"], by_id[file_id]["$type"]) == (
        "deck.pdf",
        "13",
        "Attachment",
    )
    assert (by_id[link_id]["$link_url"], by_id[link_id]["File_Name"]) == (
        "https://example.com/case-study",
        "Case study",
    )
    downloaded = api.get(f"/crm/v8/Leads/{lead}/Attachments/{file_id}")
    assert downloaded.content == b"%PDF-1.7 deck"
    assert downloaded.headers["content-disposition"] == 'attachment; filename="deck.pdf"'
    assert api.delete(f"/crm/v8/Leads/{lead}/Attachments/{file_id}").json()["data"][0]["status"] == "success"
    assert [
        item["id"] for item in api.get(f"/crm/v8/Leads/{lead}/Attachments", params={"fields": "id"}).json()["data"]
    ] == [link_id]
    assert api.get(f"/crm/v8/Leads/{lead}/Attachments/{file_id}").status_code == 204


def test_attachment_limits_and_errors(api: TestClient) -> None:
    lead = _lead(api)
    big = b"x" * (MAX_ATTACHMENT_BYTES + 1)
    too_large = api.post(
        f"/crm/v8/Leads/{lead}/Attachments", files={"file": ("big.bin", big, "application/octet-stream")}
    )
    assert too_large.status_code == 400
    assert too_large.json()["code"] == "FILE_SIZE_MORE_THAN_ALLOWED_SIZE"
    assert api.post(f"/crm/v8/Leads/{lead}/Attachments").json()["code"] == "REQUIRED_PARAM_MISSING"
    assert api.get(f"/crm/v8/Leads/{lead}/Attachments").json()["code"] == "REQUIRED_PARAM_MISSING"  # fields
    assert api.get(f"/crm/v8/Leads/{lead}/Attachments", params={"fields": "id"}).status_code == 204
    missing = api.post("/crm/v8/Leads/111111111/Attachments", files={"file": ("a.txt", b"a", "text/plain")})
    assert missing.json()["code"] == "INVALID_DATA"
