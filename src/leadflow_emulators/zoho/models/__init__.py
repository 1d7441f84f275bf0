"""State and rules of the Zoho CRM emulator (moto's ``models``): no HTTP in here.

``ZohoBackend`` is the facade; see its module docstring for the public methods.
"""

from leadflow_emulators.zoho.models.backend import ZohoBackend
from leadflow_emulators.zoho.models.metadata import FieldMeta, ModuleMeta
from leadflow_emulators.zoho.models.results import RecordError, RecordResult

__all__ = ["FieldMeta", "ModuleMeta", "RecordError", "RecordResult", "ZohoBackend"]
