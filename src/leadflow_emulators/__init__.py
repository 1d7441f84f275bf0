"""Local emulators of Zoho CRM and GoHighLevel, faithful to the real APIs and persisted in SQLite.

Never imported by ``leadflow``; imports nothing from it. Start one with
``python -m leadflow_emulators zoho --port 8010 --db zoho.db``.
"""
