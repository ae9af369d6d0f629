"""Tickets and categories in Open311 GeoReport v2's shapes. Pure: no session, no I/O.

Anonymous callers get no personal field: no name, contact, address, latitude or
longitude, and no free text (the description and staff notes may name people); the
status notes are then the fixed words of the status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from epidesk.hotline.rules import CATEGORIES

NAMES = {
    "medical_emergency": "Medical emergency",
    "supplies": "Food, medicine and supplies",
    "quarantine_conditions": "Quarantine conditions",
    "classification_appeal": "Appeal against a close-contact classification",
    "zone_question": "Question or appeal about a risk zone",
    "information": "Information",
    "other": "Other",
}
GROUP = "Outbreak response"
STATUS_NOTES = {"open": "Received; waiting for a first answer.",
                "answered": "Answered; being worked on.",
                "resolved": "Resolved."}
AGENCIES = ("Citizen hotline", "Citizen hotline supervisors", "Command centre")
# Open311 keys that carry personal data.
PERSONAL_KEYS = ("description", "address", "address_id", "lat", "long", "first_name",
                 "last_name", "email", "phone")


def service(code: str, minutes: tuple[int, int]) -> dict[str, Any]:
    """One entry of services.json."""
    first, resolution = minutes
    return {"service_code": code, "service_name": NAMES[code],
            "description": (f"{NAMES[code]}. First answer within {first} minutes, "
                            f"resolved within {resolution} minutes."),
            "metadata": code == "quarantine_conditions", "type": "realtime",
            "keywords": code.replace("_", ","), "group": GROUP}


def definition(code: str) -> dict[str, Any]:
    """services/{code}.json: the extra attributes a category asks for."""
    attributes: list[dict[str, Any]] = []
    if code == "quarantine_conditions":
        attributes.append({
            "variable": True, "code": "facility_id", "datatype": "number",
            "required": False, "datatype_description": "The facility's number",
            "order": 1, "description": "The quarantine facility the complaint is about"})
    return {"service_code": code, "attributes": attributes}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def request(ticket: dict[str, Any], *, personal: bool) -> dict[str, Any]:
    """One service request; `ticket` holds the ticket's columns (aware datetimes)."""
    out: dict[str, Any] = {
        "service_request_id": str(ticket["id"]),
        "status": "closed" if ticket["status"] == "resolved" else "open",
        "status_notes": (ticket.get("last_note") or STATUS_NOTES[ticket["status"]])
        if personal else STATUS_NOTES[ticket["status"]],
        "service_name": NAMES[ticket["category"]], "service_code": ticket["category"],
        "agency_responsible": AGENCIES[min(ticket["escalation"], 2)],
        "service_notice": (f"First answer due {_iso(ticket['first_response_due'])}; "
                           f"resolution due {_iso(ticket['resolution_due'])}."),
        "requested_datetime": _iso(ticket["received_at"]),
        "updated_datetime": _iso(ticket["updated_at"]),
        "expected_datetime": _iso(ticket["resolution_due"]),
        "media_url": None,
    }
    if personal:
        out.update({"description": ticket["description"], "address": ticket["address_text"],
                    "address_id": None, "lat": ticket["lat"], "long": ticket["lon"]})
    return out


def services_xml(services: list[dict[str, Any]]) -> str:
    """services.xml."""
    def item(s: dict[str, Any]) -> str:
        fields = "".join(
            f"<{k}>{escape(str(v).lower() if isinstance(v, bool) else str(v))}</{k}>"
            for k, v in s.items())
        return f"<service>{fields}</service>"

    return ('<?xml version="1.0" encoding="utf-8"?>\n<services>'
            + "".join(item(s) for s in services) + "</services>\n")


def codes() -> tuple[str, ...]:
    """Every service code."""
    return tuple(CATEGORIES)
