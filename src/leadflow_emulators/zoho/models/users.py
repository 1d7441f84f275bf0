"""The org and its users: fixed, with stable ids, as ``/org`` and ``/users`` report them.

Example:
    >>> Directory().current_user()["email"]
    'admin@leadflow.example'
"""

from __future__ import annotations

from typing import Any

ORG_ID = "5725767000000006001"
ZGID = "5725767"


class Directory:
    """Users and the organisation of the emulated Zoho account."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        for uid, first, last, email, role, profile in (
            ("5725767000000411001", "Leadflow", "Admin", "admin@leadflow.example", "CEO", "Administrator"),
            ("5725767000000411002", "Sam", "Seller", "sam@leadflow.example", "Manager", "Standard"),
        ):
            self.users[uid] = {
                "id": uid,
                "first_name": first,
                "last_name": last,
                "full_name": f"{first} {last}",
                "name": f"{first} {last}",
                "email": email,
                "role": {"name": role, "id": "5725767000000026005"},
                "profile": {"name": profile, "id": "5725767000000026011"},
                "status": "active",
                "confirm": True,
                "country": "US",
                "language": "en_US",
                "locale": "en_US",
                "time_zone": "UTC",
                "date_format": "MM/dd/yyyy",
                "time_format": "hh:mm a",
                "Currency": "USD",
                "created_time": "2026-01-01T00:00:00+00:00",
                "Modified_Time": "2026-01-01T00:00:00+00:00",
                "created_by": {"name": "Leadflow Admin", "id": "5725767000000411001"},
                "territories": [],
                "type__s": "AllUsers",
                "sort_order_preference__s": "First Name,Last Name",
            }
        self.current_user_id = "5725767000000411001"

    def current_user(self) -> dict[str, Any]:
        return self.users[self.current_user_id]

    def minified(self, user_id: str) -> dict[str, Any] | None:
        """``{"name", "id", "email"}`` for a user id, None when unknown."""
        user = self.users.get(user_id)
        if user is None:
            return None
        return {"name": user["full_name"], "id": user_id, "email": user["email"]}

    def org(self) -> dict[str, Any]:
        admin = self.current_user()
        return {
            "id": ORG_ID,
            "zgid": ZGID,
            "domain_name": "org" + ZGID,
            "company_name": "Leadflow Demo",
            "alias": None,
            "primary_email": admin["email"],
            "primary_zuid": "700000001",
            "type": "production",
            "country": "United States",
            "country_code": "US",
            "currency": "US Dollar - USD",
            "currency_locale": "en_US",
            "currency_symbol": "$",
            "iso_code": "USD",
            "time_zone": "UTC",
            "mc_status": False,
            "gapps_enabled": False,
            "privacy_settings": False,
            "hipaa_compliance_enabled": False,
            "lite_users_enabled": False,
            "phone": None,
            "mobile": None,
            "fax": None,
            "website": None,
            "description": None,
            "employee_count": "10",
            "street": None,
            "city": None,
            "state": None,
            "zip": None,
            "photo_id": None,
            "translation_enabled": False,
            "ziaportal_id": None,
            "license_details": {
                "paid_expiry": None,
                "users_license_purchased": 10,
                "trial_type": None,
                "trial_expiry": None,
                "paid": True,
                "paid_type": "enterprise",
                "trial_action": None,
            },
        }
