"""GoHighLevel API v2 client: auth (Private Integration Token or OAuth), pacing within GHL's limits, typed
resources, and webhook signature verification."""

from leadflow.ghl.client import GhlClient, GhlOptions

__all__ = ["GhlClient", "GhlOptions"]
