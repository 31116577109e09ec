"""Where a person lives, for their dates and times: metropolitan France or an overseas territory. The
server's clock is UTC; the account's zone decides its "today", its agenda, the hours of its reminders
and the end of the days it chooses (an access "until 29 May" ends at midnight where the owner lives)."""

from ..extensions import db
from ..models.account import User
from ..texts import lazy_gettext as _l
from . import ServiceError, reminders

DEFAULT = "Europe/Paris"
# The places, in the order the list shows them; each name is an IANA zone of the tz database.
ZONES = {
    "Europe/Paris": _l("Metropolitan France and Corsica"),
    "America/Guadeloupe": _l("Guadeloupe, Saint Barthélemy, Saint Martin"),
    "America/Martinique": _l("Martinique"),
    "America/Cayenne": _l("French Guiana"),
    "America/Miquelon": _l("Saint Pierre and Miquelon"),
    "Indian/Reunion": _l("Réunion"),
    "Indian/Mayotte": _l("Mayotte"),
    "Pacific/Noumea": _l("New Caledonia"),
    "Pacific/Wallis": _l("Wallis and Futuna"),
    "Pacific/Tahiti": _l("French Polynesia: Tahiti, Society, Tuamotu, Austral Islands"),
    "Pacific/Marquesas": _l("French Polynesia: Marquesas Islands"),
    "Pacific/Gambier": _l("French Polynesia: Gambier Islands"),
}


def choices() -> list[tuple[str, str]]:
    return [(name, str(label)) for name, label in ZONES.items()]


def known(name: str | None) -> str:
    """`name` if it is one of the places listed (a browser's own zone, at registration), else DEFAULT."""
    return name if name in ZONES else DEFAULT


def set_zone(user: User, name: str) -> bool:
    """The account's place; whether it changed. Reminders not sent yet are planned again for the new
    hours (a 9:00 reminder is 9:00 where the person lives)."""
    if name not in ZONES:
        raise ServiceError(_l("Choose where you live from the list."), field="timezone")
    if user.timezone == name:
        return False
    user.timezone = name
    reminders.forget_unsent(user.id)
    db.session.flush()
    return True
