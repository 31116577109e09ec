"""The e-mails' texts, one function per kind: subject and body in the language set by the caller
(services/mail.queue composes them under the recipient's locale). No text carries health data: only a
first name, a date, a structure's name and a link."""

from ..texts import gettext as _


def _recovery_started(p: dict) -> tuple[str, str]:
    subject = _("A new password was requested for your Companion account")
    body = _(
        "Hello %(name)s,\n\n"
        "On %(started)s, someone asked for a new password for your Companion account, "
        "at %(structure)s.\n\n"
        "Nothing changes before %(effect)s. Until then, your password and your keys still work.\n\n"
        "If it was you, you have nothing to do.\n\n"
        "If it was not you, stop it now. Open this link on a phone or computer where you are "
        "signed in to Companion, and press \"No, cancel it\":\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _password_reset(p: dict) -> tuple[str, str]:
    subject = _("Your new Companion password")
    body = _(
        "Hello %(name)s,\n\n"
        "Someone asked for a new password for your Companion account. If it was you, open this link "
        "and choose a new password. It works once, for %(minutes)s minutes:\n%(link)s\n\n"
        "If you have a security key or a phone added as a key, you will still need it to log in.\n\n"
        "If it was not you, do nothing: your password stays the same.\n\n"
        "Companion", **p)
    return subject, body


def _access_ending_caregiver(p: dict) -> tuple[str, str]:
    subject = _("Your help for %(person)s ends on %(date)s", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "Your access as a caregiver for %(person)s ends on %(date)s. After that day, you will not see "
        "their space any more.\n\n"
        "If the help should go on, ask %(person)s to renew it.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _access_ending_owner(p: dict) -> tuple[str, str]:
    subject = _("The access of %(caregiver)s ends on %(date)s", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(caregiver)s helps with the profile of %(person)s until %(date)s. After that day, "
        "%(caregiver)s will not see it any more.\n\n"
        "To renew it or end it sooner, open this page:\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _new_device(p: dict) -> tuple[str, str]:
    subject = _("A new login to your Companion account")
    body = _(
        "Hello %(name)s,\n\n"
        "On %(when)s, your password was used to log in on a phone or computer that had never logged "
        "in to your account before (%(system)s).\n\n"
        "If it was you, you have nothing to do.\n\n"
        "If it was not you, change your password now and sign out the other devices, on this page:\n"
        "%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _invitation(p: dict) -> tuple[str, str]:
    subject = _("%(inviter)s invites you to help on Companion", **p)
    body = _(
        "Hello,\n\n"
        "%(inviter)s invites you to help with the profile of %(person)s on Companion.\n\n"
        "1. Create your Companion account (free):\n%(register)s\n\n"
        "2. Then type this invitation code:\n%(code)s\n%(link)s\n\n"
        "The code works once, for %(days)s days. If you do not know %(inviter)s, do nothing.\n\n"
        "Companion", **p)
    return subject, body


def _dependent_review(p: dict) -> tuple[str, str]:
    subject = _("Check the legal basis for %(person)s before %(date)s", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "You manage the profile of %(person)s on Companion. You said you would check the legal basis "
        "(and its proof) by %(date)s.\n\n"
        "If it still holds, confirm it with a new date. If it changed, update it:\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _closure_requested_caregiver(p: dict) -> tuple[str, str]:
    subject = _("The space of %(person)s on Companion will close", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(by)s asked to close the space of %(person)s on Companion. It will be deleted on %(date)s.\n\n"
        "Your access as a caregiver has ended today. If the closure is cancelled, %(by)s will need to "
        "invite you again.\n\n"
        "Companion", **p)
    return subject, body


def _closure_requested_owner(p: dict) -> tuple[str, str]:
    subject = _("The space of %(person)s on Companion will close", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(by)s asked to close the space of %(person)s on Companion. It will be deleted on %(date)s, "
        "for you too.\n\n"
        "Until then, you can download a copy or cancel the closure on this page:\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _closure_cancelled(p: dict) -> tuple[str, str]:
    subject = _("The space of %(person)s on Companion stays open", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "The closure of the space of %(person)s on Companion was cancelled. Nothing was deleted.\n\n"
        "Companion", **p)
    return subject, body


def _closure_done(p: dict) -> tuple[str, str]:
    subject = _("The space of %(person)s on Companion is closed", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "As planned, the space of %(person)s on Companion was closed today. Everything in it was "
        "deleted for good. Only the list of who opened it is kept for a while, as the law "
        "requires.\n\n"
        "Companion", **p)
    return subject, body


def _teen_soon_parent(p: dict) -> tuple[str, str]:
    subject = _("%(person)s will soon manage their own health space", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "On %(date)s, %(person)s reaches the age when they decide who sees their health space. "
        "From then on, you will see what %(person)s agrees to share with you.\n\n"
        "Please make a login code for %(person)s and give it to them. They can use it alone, or at a "
        "France Services office where someone will help them:\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _teen_now_parent(p: dict) -> tuple[str, str]:
    subject = _("%(person)s now decides who sees their health space", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(person)s has reached the age when they decide who sees their health space. Once they have "
        "their own login, you will see what they agree to share with you.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _teen_joined_parent(p: dict) -> tuple[str, str]:
    subject = _("%(person)s now has their own login", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(person)s used the login code. Their health space is now also theirs. When the teen age "
        "comes, %(person)s chooses what you still see.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _adult_soon(p: dict) -> tuple[str, str]:
    subject = _("On %(date)s, the health space of %(person)s becomes theirs alone", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "On %(date)s, %(person)s comes of age. Their health space will then be theirs alone. Parents "
        "keep access only if %(person)s chooses so.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _adult_now_parent(p: dict) -> tuple[str, str]:
    subject = _("The health space of %(person)s is now theirs alone", **p)
    if p.get("kept") == "yes":
        text = _("%(person)s chose to let you keep your access for one year, as a caregiver.", **p)
    else:
        text = _("Your access has ended. %(person)s can invite you again as a caregiver.", **p)
    body = _("Hello %(name)s,\n\n%(person)s has come of age.", **p) + " " + text + "\n" + p["link"] \
        + "\n\nCompanion"
    return subject, body


def _adult_waiting_parent(p: dict) -> tuple[str, str]:
    subject = _("%(person)s has come of age", **p)
    body = _(
        "Hello %(name)s,\n\n"
        "%(person)s has come of age, but has no login to Companion yet. Until they have one, you keep "
        "their health space. Make a login code for %(person)s and give it to them: once they use it, "
        "the space is theirs alone.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _teen_now_teen(p: dict) -> tuple[str, str]:
    subject = _("You now decide who sees your health space")
    body = _(
        "Hello %(name)s,\n\n"
        "From today, you choose what your parents see in your health space. They see the prevention "
        "agenda, unless you choose otherwise. You can also hide a document from them.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


def _adult_now_teen(p: dict) -> tuple[str, str]:
    subject = _("Your health space is now yours alone")
    body = _(
        "Hello %(name)s,\n\n"
        "You have come of age: your health space is now yours alone. You can invite someone to help you "
        "at any time, on the caregivers page.\n%(link)s\n\n"
        "Companion", **p)
    return subject, body


KINDS = {"teen_soon_parent": _teen_soon_parent, "teen_now_teen": _teen_now_teen,
         "adult_now_teen": _adult_now_teen, "teen_now_parent": _teen_now_parent,
         "teen_joined_parent": _teen_joined_parent, "adult_soon": _adult_soon,
         "adult_now_parent": _adult_now_parent, "adult_waiting_parent": _adult_waiting_parent,
         "closure_requested_caregiver": _closure_requested_caregiver,
         "closure_requested_owner": _closure_requested_owner, "closure_cancelled": _closure_cancelled,
         "closure_done": _closure_done,
         "invitation": _invitation, "dependent_review": _dependent_review, "new_device": _new_device,
         "recovery_started": _recovery_started,
         "password_reset": _password_reset,
         "access_ending_caregiver": _access_ending_caregiver, "access_ending_owner": _access_ending_owner}
