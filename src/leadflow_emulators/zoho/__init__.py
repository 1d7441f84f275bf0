"""zoho."""
