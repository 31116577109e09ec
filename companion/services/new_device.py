"""Telling a person by e-mail that their password was used on a phone or computer it was never used
on before (issue 14). Which one is said in two words (its system), never more of its user agent."""

from flask_babel import force_locale

from ..models.account import User
from ..models.types import utcnow
from . import dates, mail
from .agenda_store import zone

SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
           ("Mac OS", "Mac"), ("CrOS", "Chromebook"), ("Linux", "Linux"))


def system_of(user_agent: str) -> str:
    return next((name for token, name in SYSTEMS if token in user_agent), "?")


def tell(user: User, user_agent: str) -> None:
    """Queue the message (the caller commits, then sends)."""
    locale = user.locale if user.locale in mail.LANGUAGES else "fr"
    with force_locale(locale):
        when = dates.moment(utcnow(), zone(user.timezone))  # as it is where she lives
    mail.queue(user.email, locale, "new_device", name=user.display_name.split(" ")[0], when=when,
               system=system_of(user_agent), link=mail.public_url("/account/security/"))
