"""Zoho CRM client: auth for every data centre, typed resources per module, COQL, bulk, tags, metadata.

Example:
    >>> from leadflow.zoho import Criteria
    >>> str(Criteria.field("Email").equals("ada@example.com"))
    '(Email:equals:ada@example.com)'
"""

from leadflow.zoho.auth import OAuthRefreshAuth, ProxyAuth, StaticTokenAuth, TokenReply
from leadflow.zoho.bulk import BulkApi, BulkJobSummary, BulkWriteResult, CallbackWaiter
from leadflow.zoho.client import ClientOptions, ZohoClient
from leadflow.zoho.credits import CreditFigures
from leadflow.zoho.criteria import Criteria
from leadflow.zoho.errors import TokenError
from leadflow.zoho.metadata import EnsureFieldsReport, FieldSpec
from leadflow.zoho.records import ConvertResult, LeadsResource, ModuleResource
from leadflow.zoho.results import RecordResult

__all__ = [
    "BulkApi",
    "BulkJobSummary",
    "BulkWriteResult",
    "CallbackWaiter",
    "ClientOptions",
    "ConvertResult",
    "CreditFigures",
    "Criteria",
    "EnsureFieldsReport",
    "FieldSpec",
    "LeadsResource",
    "ModuleResource",
    "OAuthRefreshAuth",
    "ProxyAuth",
    "RecordResult",
    "StaticTokenAuth",
    "TokenError",
    "TokenReply",
    "ZohoClient",
]
