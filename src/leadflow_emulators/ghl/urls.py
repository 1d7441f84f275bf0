"""Routing only: which path and method go to which handler, at the root as ``services.leadconnectorhq.com``.

Collection paths answer with and without the trailing slash (the SDK sends ``/contacts/``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from leadflow_emulators.ghl.exceptions import GhlError
from leadflow_emulators.ghl.responses import contacts, conversations, directory, locations, oauth, opportunities
from leadflow_emulators.ghl.responses.common import error_response

Endpoint = Callable[[Request], object]
C = "/contacts/{contactId}"
L = "/locations/{locationId}"


def _both(path: str, endpoint: Callable[..., object], method: str) -> list[BaseRoute]:
    """``path`` and ``path/``."""
    bare = path.rstrip("/")
    return [Route(bare, endpoint, methods=[method]), Route(f"{bare}/", endpoint, methods=[method])]


async def not_found(request: Request) -> Response:
    return error_response(GhlError(404, f"Cannot {request.method} {request.url.path}", error="Not Found"))


def ghl_routes() -> list[BaseRoute]:
    return [
        Route("/oauth/token", oauth.token, methods=["POST"]),
        Route("/oauth/locationToken", oauth.location_token, methods=["POST"]),
        Route("/oauth/installedLocations", oauth.installed_locations, methods=["GET"]),
        Route("/oauth/location-token", oauth.location_token_v3, methods=["POST"]),
        Route("/oauth/installed-locations", oauth.installed_locations_v3, methods=["GET"]),
        # contacts: fixed paths before /contacts/{contactId}
        Route("/contacts/search", contacts.search_contacts, methods=["POST"]),
        Route("/contacts/search/duplicate", contacts.duplicate_contact, methods=["GET"]),
        Route("/contacts/upsert", contacts.upsert_contact, methods=["POST"]),
        Route("/contacts/bulk/tags/update/{type}", contacts.bulk_tags, methods=["POST"]),
        *_both("/contacts/", contacts.create_contact, "POST"),
        *_both("/contacts/", contacts.list_contacts, "GET"),
        Route(C, contacts.get_contact, methods=["GET"]),
        Route(C, contacts.update_contact, methods=["PUT"]),
        Route(C, contacts.delete_contact, methods=["DELETE"]),
        Route(f"{C}/tags", contacts.add_tags, methods=["POST"]),
        Route(f"{C}/tags", contacts.remove_tags, methods=["DELETE"]),
        Route(f"{C}/notes", contacts.list_notes, methods=["GET"]),
        Route(f"{C}/notes", contacts.create_note, methods=["POST"]),
        Route(f"{C}/notes/{{id}}", contacts.get_note, methods=["GET"]),
        Route(f"{C}/notes/{{id}}", contacts.update_note, methods=["PUT"]),
        Route(f"{C}/notes/{{id}}", contacts.delete_note, methods=["DELETE"]),
        Route(f"{C}/tasks", contacts.list_tasks, methods=["GET"]),
        Route(f"{C}/tasks", contacts.create_task, methods=["POST"]),
        Route(f"{C}/tasks/{{taskId}}", contacts.get_task, methods=["GET"]),
        Route(f"{C}/tasks/{{taskId}}", contacts.update_task, methods=["PUT"]),
        Route(f"{C}/tasks/{{taskId}}", contacts.delete_task, methods=["DELETE"]),
        Route(f"{C}/tasks/{{taskId}}/completed", contacts.complete_task, methods=["PUT"]),
        Route(f"{C}/workflow/{{workflowId}}", contacts.add_to_workflow, methods=["POST"]),
        Route(f"{C}/workflow/{{workflowId}}", contacts.remove_from_workflow, methods=["DELETE"]),
        Route(f"{C}/appointments", contacts.contact_appointments, methods=["GET"]),
        # locations
        Route(L, locations.get_location, methods=["GET"]),
        Route(f"{L}/customFields", locations.list_custom_fields, methods=["GET"]),
        Route(f"{L}/customFields", locations.create_custom_field, methods=["POST"]),
        Route(f"{L}/customFields/{{id}}", locations.get_custom_field, methods=["GET"]),
        Route(f"{L}/customFields/{{id}}", locations.update_custom_field, methods=["PUT"]),
        Route(f"{L}/customFields/{{id}}", locations.delete_custom_field, methods=["DELETE"]),
        Route(f"{L}/customValues", locations.list_custom_values, methods=["GET"]),
        Route(f"{L}/customValues", locations.create_custom_value, methods=["POST"]),
        Route(f"{L}/customValues/{{id}}", locations.get_custom_value, methods=["GET"]),
        Route(f"{L}/customValues/{{id}}", locations.update_custom_value, methods=["PUT"]),
        Route(f"{L}/customValues/{{id}}", locations.delete_custom_value, methods=["DELETE"]),
        Route(f"{L}/tags", locations.list_tags, methods=["GET"]),
        Route(f"{L}/tags", locations.create_tag, methods=["POST"]),
        Route(f"{L}/tags/{{tagId}}", locations.get_tag, methods=["GET"]),
        Route(f"{L}/tags/{{tagId}}", locations.update_tag, methods=["PUT"]),
        Route(f"{L}/tags/{{tagId}}", locations.delete_tag, methods=["DELETE"]),
        # opportunities
        Route("/opportunities/pipelines", opportunities.pipelines, methods=["GET"]),
        Route("/opportunities/search", opportunities.search_opportunities, methods=["GET"]),
        *_both("/opportunities/", opportunities.create_opportunity, "POST"),
        Route("/opportunities/{id}", opportunities.get_opportunity, methods=["GET"]),
        Route("/opportunities/{id}", opportunities.update_opportunity, methods=["PUT"]),
        Route("/opportunities/{id}", opportunities.delete_opportunity, methods=["DELETE"]),
        Route("/opportunities/{id}/status", opportunities.update_status, methods=["PUT"]),
        # conversations
        Route("/conversations/messages", conversations.send_message, methods=["POST"]),
        Route("/conversations/search", conversations.search_conversations, methods=["GET"]),
        Route("/conversations/{conversationId}", conversations.get_conversation, methods=["GET"]),
        Route("/conversations/{conversationId}/messages", conversations.list_messages, methods=["GET"]),
        # workflows, users, calendars
        *_both("/workflows/", directory.list_workflows, "GET"),
        *_both("/users/", directory.list_users, "GET"),
        Route("/users/{userId}", directory.get_user, methods=["GET"]),
        *_both("/calendars/", directory.list_calendars, "GET"),
        Route("/calendars/events/appointments", directory.create_appointment, methods=["POST"]),
        Route("/calendars/events/appointments/{eventId}", directory.get_appointment, methods=["GET"]),
    ]


def fallback_routes() -> list[BaseRoute]:
    """Anything else: NestJS's 404 ``Cannot GET /path``; mounted last."""
    return [Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
