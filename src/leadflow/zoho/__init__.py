"""Zoho CRM client: auth for every data centre, typed resources per module, COQL, bulk, tags, metadata.

Example:
    >>> from leadflow.zoho import Criteria
    >>> str(Criteria.field("Email").equals("ada@example.com"))
    '(Email:equals:ada@example.com)'
"""

from leadflow.zoho.activities import Participant, RecordRef
from leadflow.zoho.auth import OAuthRefreshAuth, ProxyAuth, StaticTokenAuth, TokenReply
from leadflow.zoho.bulk import BulkApi, BulkJobSummary, BulkWriteResult, CallbackWaiter
from leadflow.zoho.client import ClientOptions, ZohoClient
from leadflow.zoho.composite import SubRequest, SubResponse, ref
from leadflow.zoho.credits import CreditFigures
from leadflow.zoho.criteria import Criteria
from leadflow.zoho.deals import Stage
from leadflow.zoho.errors import TokenError
from leadflow.zoho.functions import FunctionResult
from leadflow.zoho.mail import SentMail
from leadflow.zoho.metadata import EnsureFieldsReport, FieldSpec
from leadflow.zoho.notifications import WatchChannel
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
    "FunctionResult",
    "LeadsResource",
    "ModuleResource",
    "OAuthRefreshAuth",
    "Participant",
    "ProxyAuth",
    "RecordRef",
    "RecordResult",
    "SentMail",
    "Stage",
    "StaticTokenAuth",
    "SubRequest",
    "SubResponse",
    "TokenError",
    "TokenReply",
    "WatchChannel",
    "ZohoClient",
    "ref",
]
