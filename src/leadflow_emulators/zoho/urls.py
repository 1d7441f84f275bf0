"""Routing only: which path and method go to which response function (moto's ``urls``).

Every Zoho path answers under ``/crm/{version}/`` for v2, v2.1, v7 and v8 (and the versions between).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from leadflow_emulators.zoho.exceptions import ZohoError, render_error
from leadflow_emulators.zoho.responses import (
    attachments,
    composite,
    deals,
    functions,
    mail,
    merge,
    notifications,
    oauth,
    records,
    related,
    settings,
)
from leadflow_emulators.zoho.responses_bulk import BULK_ROUTES

CRM = "/crm/{version}"


async def not_found(request: Request) -> Response:
    return render_error(ZohoError.invalid_url())


def zoho_routes() -> list[BaseRoute]:
    """Accounts server and CRM API routes, most specific first."""
    return [
        Route("/oauth/v2/token", oauth.token, methods=["POST"]),
        Route("/oauth/v2/token/revoke", oauth.revoke, methods=["POST"]),
        Route("/oauth/v2/auth", oauth.authorize, methods=["GET"]),
        *BULK_ROUTES,  # COQL, upload, bulk write/read: before {CRM}/{module}, which would take "coql" for a module
        Route(f"{CRM}/__composite_requests", composite.composite, methods=["POST"]),
        Route(f"{CRM}/functions/{{name}}/actions/execute", functions.execute, methods=["GET", "POST"]),
        Route(f"{CRM}/actions/watch", notifications.enable, methods=["POST"]),
        Route(f"{CRM}/actions/watch", notifications.update, methods=["PUT"]),
        Route(f"{CRM}/actions/watch", notifications.patch, methods=["PATCH"]),
        Route(f"{CRM}/actions/watch", notifications.disable, methods=["DELETE"]),
        Route(f"{CRM}/actions/watch", notifications.details, methods=["GET"]),
        Route(f"{CRM}/settings/related_lists", related.get_related_lists, methods=["GET"]),
        Route(f"{CRM}/settings/related_lists/{{list_id}}", related.get_related_lists, methods=["GET"]),
        Route(f"{CRM}/settings/pipeline", deals.get_pipelines, methods=["GET"]),
        Route(f"{CRM}/settings/pipeline/{{pipeline_id}}", deals.get_pipelines, methods=["GET"]),
        Route(f"{CRM}/settings/emails/actions/from_addresses", mail.from_addresses, methods=["GET"]),
        Route(f"{CRM}/settings/modules", settings.get_modules, methods=["GET"]),
        Route(f"{CRM}/settings/modules", settings.create_modules, methods=["POST"]),
        Route(f"{CRM}/settings/modules/{{api_name}}", settings.get_module, methods=["GET"]),
        Route(f"{CRM}/settings/fields", settings.get_fields, methods=["GET"]),
        Route(f"{CRM}/settings/fields", settings.create_fields, methods=["POST"]),
        Route(f"{CRM}/settings/fields/{{field_id}}", settings.get_fields, methods=["GET"]),
        Route(f"{CRM}/settings/layouts", settings.get_layouts, methods=["GET"]),
        Route(f"{CRM}/settings/tags", settings.get_tags, methods=["GET"]),
        Route(f"{CRM}/settings/tags", settings.create_tags, methods=["POST"]),
        Route(f"{CRM}/settings/tags/{{tag_id}}", settings.update_tag, methods=["PUT"]),
        Route(f"{CRM}/settings/tags/{{tag_id}}", settings.delete_tag, methods=["DELETE"]),
        Route(f"{CRM}/users", settings.get_users, methods=["GET"]),
        Route(f"{CRM}/users/{{user_id}}", settings.get_users, methods=["GET"]),
        Route(f"{CRM}/org", settings.get_org, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/actions/convert", records.convert_lead, methods=["POST"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/actions/merge", merge.merge, methods=["POST"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/actions/send_mail", mail.send_mail, methods=["POST"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/Emails", mail.record_emails, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/Emails/{{message_id}}", mail.record_emails, methods=["GET"]),
        Route(f"{CRM}/{{module}}/actions/add_tags", records.add_tags, methods=["POST"]),
        Route(f"{CRM}/{{module}}/actions/remove_tags", records.remove_tags, methods=["POST"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/actions/add_tags", records.add_tags, methods=["POST"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/actions/remove_tags", records.remove_tags, methods=["POST"]),
        Route(f"{CRM}/{{module}}/actions/count", records.count_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}/upsert", records.upsert_records, methods=["POST"]),
        Route(f"{CRM}/{{module}}/search", records.search_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}/deleted", records.deleted_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/Attachments", attachments.upload, methods=["POST"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/Attachments", attachments.list_attachments, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/Attachments", attachments.delete, methods=["DELETE"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/Attachments/{{attachment_id}}", attachments.download, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/Attachments/{{attachment_id}}", attachments.delete, methods=["DELETE"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/{{related}}", related.get_related_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/{{related}}", related.create_record_notes, methods=["POST"]),
        Route(f"{CRM}/{{module}}/{{record_id}}", records.get_record, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}", records.update_records, methods=["PUT"]),
        Route(f"{CRM}/{{module}}/{{record_id}}", records.delete_records, methods=["DELETE"]),
        Route(f"{CRM}/{{module}}", records.list_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}", records.insert_records, methods=["POST"]),
        Route(f"{CRM}/{{module}}", records.update_records, methods=["PUT"]),
        Route(f"{CRM}/{{module}}", records.delete_records, methods=["DELETE"]),
    ]


def fallback_routes() -> list[BaseRoute]:
    """Anything else is Zoho's INVALID_URL_PATTERN (404); mounted last."""
    return [Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
