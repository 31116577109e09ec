"""Matrix cases for the emergency card (issue 16): caregivers who read documents read it, owners edit."""

from . import Case

CARD_FIELDS = {"allergies": "penicillin", "treatments": "", "conditions": "", "blood_group": "O+",
               "devices": "",
               "contacts": "", "languages": "français", "gp": "", "directives": "", "notes": ""}

CASES = [
    Case("emergency.show", "documents:read"),
    Case("emergency.ips", "documents:read"),
    Case("emergency.edit", "manage"),
    Case("emergency.edit", "manage", method="POST", data=lambda w: dict(CARD_FIELDS)),
]
