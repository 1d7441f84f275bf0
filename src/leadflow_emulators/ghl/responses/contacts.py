"""Contacts API v2 (``/contacts``): records, upsert, search, duplicates, tags, notes, tasks, workflows,
appointments of a contact. Shapes and status codes as in GHL's ``contacts.json``.
"""

from __future__ import annotations

from starlette.responses import Response

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.models import validation as v
from leadflow_emulators.ghl.models.core import public
from leadflow_emulators.ghl.models.search import legacy_list, search
from leadflow_emulators.ghl.responses.common import Ctx, route

READ = "contacts.readonly"
WRITE = "contacts.write"


@route(scope=WRITE)
def create_contact(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.CREATE_CONTACT)
    contact = ctx.backend.contacts.create(body)
    if ctx.backend.faults.take("create_422_after_commit"):  # GHL's reported bug: stored, yet the answer is 422
        raise GhlError.unprocessable(["Unable to create contact"])
    return ctx.ok({"contact": ctx.backend.contacts.render(contact)}, status=201)


@route(scope=READ)
def get_contact(ctx: Ctx) -> Response:
    return ctx.ok({"contact": ctx.backend.contacts.render(ctx.backend.contacts.get(ctx.path("contactId")))})


@route(scope=WRITE)
def update_contact(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.UPDATE_CONTACT)
    contact = ctx.backend.contacts.update(ctx.path("contactId"), body)
    return ctx.ok({"succeded": True, "contact": ctx.backend.contacts.render(contact)})


@route(scope=WRITE)
def delete_contact(ctx: Ctx) -> Response:
    ctx.backend.contacts.delete(ctx.path("contactId"))
    return ctx.ok({"succeded": True})


@route(scope=WRITE)
def upsert_contact(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.UPSERT_CONTACT)
    contact, created = ctx.backend.contacts.upsert(body)
    return ctx.ok({"new": created, "contact": ctx.backend.contacts.render(contact)})


@route(scope=READ)
def search_contacts(ctx: Ctx) -> Response:
    body = ctx.json() or {}
    if not isinstance(body, dict):
        raise GhlError.unprocessable(["request body must be a JSON object"])
    ctx.check_location(body.get("locationId"))
    page, total = search(ctx.backend.core.docs.all("contact"), body)
    contacts = [{**ctx.backend.contacts.render(doc), "searchAfter": key} for doc, key in page]
    return ctx.ok({"contacts": contacts, "total": total})


@route(scope=READ)
def list_contacts(ctx: Ctx) -> Response:
    params = ctx.params
    ctx.check_location(params.get("locationId"))
    page, meta = legacy_list(ctx.backend.core.docs.all("contact"), params)
    return ctx.ok(
        {"contacts": [ctx.backend.contacts.render(doc) for doc in page], "count": meta["total"], "meta": meta}
    )


@route(scope=READ)
def duplicate_contact(ctx: Ctx) -> Response:
    params = ctx.params
    ctx.check_location(params.get("locationId"))
    found = ctx.backend.contacts.duplicate(params.get("email"), params.get("number"))
    return ctx.ok({"contact": ctx.backend.contacts.render(found) if found else None})


@route(scope=WRITE)
def add_tags(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.TAGS, required=("tags",))
    return ctx.ok({"tags": ctx.backend.contacts.add_tags(ctx.path("contactId"), body["tags"])["tags"]}, status=201)


@route(scope=WRITE)
def remove_tags(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.TAGS, required=("tags",))
    return ctx.ok({"tags": ctx.backend.contacts.remove_tags(ctx.path("contactId"), body["tags"])["tags"]})


@route(scope=WRITE)
def bulk_tags(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.BULK_TAGS, required=("contacts", "locationId"))
    ctx.check_location(body["locationId"])
    return ctx.ok(ctx.backend.directory.bulk_tags(ctx.path("type"), body), status=201)


# ---------------------------------------------------------------- notes
@route(scope=READ)
def list_notes(ctx: Ctx) -> Response:
    return ctx.ok({"notes": ctx.backend.activities.notes(ctx.path("contactId"))})


@route(scope=WRITE)
def create_note(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.NOTE)
    return ctx.ok({"note": ctx.backend.activities.create_note(ctx.path("contactId"), body)}, status=201)


@route(scope=READ)
def get_note(ctx: Ctx) -> Response:
    return ctx.ok({"note": ctx.backend.activities.note(ctx.path("contactId"), ctx.path("id"))})


@route(scope=WRITE)
def update_note(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.NOTE)
    return ctx.ok({"note": ctx.backend.activities.update_note(ctx.path("contactId"), ctx.path("id"), body)})


@route(scope=WRITE)
def delete_note(ctx: Ctx) -> Response:
    ctx.backend.activities.delete_note(ctx.path("contactId"), ctx.path("id"))
    return ctx.ok({"succeded": True})


# ---------------------------------------------------------------- tasks
@route(scope=READ)
def list_tasks(ctx: Ctx) -> Response:
    return ctx.ok({"tasks": ctx.backend.activities.tasks(ctx.path("contactId"))})


@route(scope=WRITE)
def create_task(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.TASK, required=("title", "dueDate"))
    return ctx.ok({"task": ctx.backend.activities.create_task(ctx.path("contactId"), body)}, status=201)


@route(scope=READ)
def get_task(ctx: Ctx) -> Response:
    return ctx.ok({"task": ctx.backend.activities.task(ctx.path("contactId"), ctx.path("taskId"))})


@route(scope=WRITE)
def update_task(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.TASK)
    return ctx.ok({"task": ctx.backend.activities.update_task(ctx.path("contactId"), ctx.path("taskId"), body)})


@route(scope=WRITE)
def complete_task(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.TASK_COMPLETED, required=("completed",))
    task = ctx.backend.activities.update_task(
        ctx.path("contactId"), ctx.path("taskId"), {"completed": body["completed"]}
    )
    return ctx.ok({"task": task})


@route(scope=WRITE)
def delete_task(ctx: Ctx) -> Response:
    ctx.backend.activities.delete_task(ctx.path("contactId"), ctx.path("taskId"))
    return ctx.ok({"succeded": True})


# ---------------------------------------------------------------- workflows, appointments
@route(scope=WRITE)
def add_to_workflow(ctx: Ctx) -> Response:
    body = v.check_body(ctx.json(), v.WORKFLOW_ENROL)
    ctx.backend.directory.enrol(ctx.path("contactId"), ctx.path("workflowId"), body.get("eventStartTime"))
    return ctx.ok({"succeded": True})


@route(scope=WRITE)
def remove_from_workflow(ctx: Ctx) -> Response:
    v.check_body(ctx.json(), v.WORKFLOW_ENROL)
    ctx.backend.directory.unenrol(ctx.path("contactId"), ctx.path("workflowId"))
    return ctx.ok({"succeded": True})


@route(scope=READ)
def contact_appointments(ctx: Ctx) -> Response:
    events = [public(doc) for doc in ctx.backend.directory.appointments_of(ctx.path("contactId"))]
    return ctx.ok({"events": events})
