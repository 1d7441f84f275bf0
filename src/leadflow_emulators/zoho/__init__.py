"""Zoho CRM emulator: ``create_app(backend=ZohoBackend(...))``; run with ``python -m leadflow_emulators zoho``."""
