"""The catalogue of access-log actions: each code, the plain words the owner reads, and the kind of
object the event names. One table, so the log page, the CSV copy and `audit.record` agree: an action
that is not here cannot be recorded (a typo would otherwise write an entry no one can read)."""

from dataclasses import dataclass

from ..texts import lazy_gettext as _l


@dataclass(frozen=True)
class Action:
    code: str
    phrase: object  # a lazy translated string: the access log says "<who> <phrase> <object label>"
    object_type: str  # what object_id names; "" when the event names no object


ACTIONS: dict[str, Action] = {a.code: a for a in (
    # Profiles (the guard logs a non-owner's reads under the route's action)
    Action("profile.view", _l("opened the profile"), ""),
    Action("profile.created", _l("created the profile"), "profile"),
    Action("profile.owner_added", _l("shared the management of the profile with"), "account"),
    Action("profile.owner_removed", _l("stopped sharing the management of the profile with"), "account"),
    Action("access.refused", _l("tried to open a page without the right to, and was refused"), "scope"),
    # Caregivers
    Action("delegation.invited", _l("invited a caregiver"), "delegation"),
    Action("delegation.accepted", _l("accepted the invitation to help"), "delegation"),
    Action("delegation.declined", _l("declined the invitation to help"), "delegation"),
    Action("delegation.renewed", _l("renewed the access of"), "delegation"),
    Action("delegation.shortened", _l("brought forward the end of the access of"), "delegation"),
    Action("delegation.ended", _l("ended the access of"), "delegation"),
    Action("delegation.changed", _l("changed what is allowed to"), "delegation"),
    Action("delegation.expired", _l("ended, as planned, the access of"), "delegation"),
    Action("proof.filed", _l("filed in the documents a signed proof:"), "document"),
    # Dependent adults
    Action("dependent.created", _l("created the profile of an adult they look after, on this legal basis:"),
           "profile"),
    Action("dependent.reviewed", _l("confirmed the legal basis of the profile until"), "profile"),
    Action("dependent.claim_code", _l("made a code for the person to take back their profile"), "profile"),
    Action("dependent.claimed", _l("took back their own profile, with the help of"), "structure"),
    Action("dependent.manager_kept", _l("chose to keep the help of"), "delegation"),
    # Documents
    Action("document.list", _l("looked at the list of documents"), ""),
    Action("document.search", _l("searched the documents"), "document"),
    Action("document.view", _l("looked at a document"), "document"),
    Action("document.trash_list", _l("looked at the documents in the trash"), ""),
    Action("document.open", _l("opened a document"), "document"),
    Action("document.copied_offline", _l("copied documents to their phone for offline use (not opened)"),
           "document"),
    Action("document.open_offline", _l("opened a document without network, on this date"), "document"),
    Action("document.download", _l("downloaded a document"), "document"),
    Action("document.add", _l("added a document"), "document"),
    Action("document.rename", _l("renamed a document"), "document"),
    Action("document.retype", _l("changed the type of a document"), "document"),
    Action("document.edit", _l("changed the details of a document"), "document"),
    Action("document.hide", _l("hid a document from caregivers"), "document"),
    Action("document.unhide", _l("showed a document to caregivers again"), "document"),
    Action("document.delete", _l("put a document in the trash"), "document"),
    Action("document.restore", _l("took a document out of the trash"), "document"),
    Action("document.pin", _l("kept a document on their device for offline use"), "document"),
    Action("document.unpin", _l("removed a document from their device"), "document"),
    Action("document.offline_list", _l("updated the documents kept on their device"), ""),
    # Emergency card and shares with a clinician
    Action("emergency.view", _l("looked at the emergency card"), ""),
    Action("emergency.copied_offline",
           _l("copied the emergency card to their phone, to open without network"), ""),
    Action("emergency.edit", _l("changed the emergency card"), ""),
    Action("emergency.export", _l("downloaded the emergency card as a file for health software"), ""),
    Action("counter.view", _l("looked at the screen for the pharmacy counter"), ""),
    Action("counter.copied_offline",
           _l("copied the screen for the pharmacy counter to their phone, to open without network"), ""),
    Action("counter.edit", _l("chose the current prescription for the pharmacy counter"), "document"),
    Action("share.created", _l("made a share for a health professional"), "share"),
    # What a caregiver's share holds, named: the professional's opening is logged, not what it showed.
    Action("share.document_put", _l("put a document in a share for a health professional:"), "document"),
    Action("share.card_put", _l("put the emergency card in a share for a health professional"), ""),
    Action("share.vaccinations_put", _l("put the vaccinations in a share for a health professional"), ""),
    Action("share.revoked", _l("stopped a share for a health professional"), "share"),
    Action("share.ended_with_access",
           _l("ended a caregiver's share for a health professional (their access no longer allows it), "
              "made on"),
           "share"),
    Action("share.opened", _l("opened what was shared with them, the share made on"), "share"),
    Action("share.document_left",
           _l("left a document through a share (from a health professional, to check):"), "document"),
    Action("share.refused", _l("tried to open a share that had ended, made on"), "share"),
    Action("share.passcode_refused", _l("typed a wrong passcode for the share made on"), "share"),
    Action("share.locked", _l("typed a wrong passcode too many times: the share stopped. It was made on"),
           "share"),
    # Prevention agenda
    Action("agenda.view", _l("looked at the prevention agenda"), ""),
    Action("agenda.copied_offline",
           _l("copied the agenda to their phone, to open without network (family agenda)"), ""),
    Action("agenda.export", _l("downloaded an agenda item for a calendar"), ""),
    Action("agenda.done", _l("marked an agenda item as done"), "agenda_item"),
    Action("agenda.snooze", _l("put off an agenda item"), "agenda_item"),
    Action("agenda.dismiss", _l("marked an agenda item as not relevant"), "agenda_item"),
    Action("agenda.reopen", _l("reopened an agenda item"), "agenda_item"),
    Action("agenda.reminder_edit", _l("changed a personal reminder"), "reminder"),
    Action("agenda.reminder_add", _l("added a personal reminder"), "reminder"),
    Action("agenda.reminder_delete", _l("deleted a personal reminder"), "reminder"),
    # Closing a profile or an account (issue 17): the log of a closed profile is what stays
    Action("closure.requested", _l("asked to close this space, for good, on this date:"), "date"),
    Action("closure.cancelled", _l("cancelled the closure of this space"), ""),
    Action("closure.done", _l("closed this space: its documents, keys and data were deleted"), ""),
    Action("share.ended_by_closure",
           _l("ended a share for a health professional because the space is closing. It was made on"),
           "share"),
    # A child growing up (services/family_stages.py, services/teen_codes.py)
    Action("family.teen_soon", _l("told the parents that the teen age is near. It begins on"), ""),
    Action("family.teen", _l("noted that the teen age began: the teen decides what the parents see"), ""),
    Action("family.parents_narrowed", _l("limited what the parents see to what the teen agrees to:"), ""),
    Action("family.code_made", _l("made a login code for the teen (an older code stops working)"), ""),
    Action("family.teen_joined", _l("opened their own login to this profile"), ""),
    Action("family.parents_scopes", _l("chose what the parents see:"), ""),
    Action("family.adult_soon",
           _l("told the family that the profile will belong to the young adult alone on"), ""),
    Action("family.adult", _l("noted the majority: the profile belongs to the young adult alone"), ""),
    Action("family.adult_waiting",
           _l("noted the majority: the parents keep the profile until the young adult opens their own login"),
           ""),
    Action("family.parent_kept", _l("kept, as the young adult chose, the access of a parent for a year:"),
           "delegation"),
    Action("family.parent_ended", _l("ended, at the majority, the access of a parent:"), "account"),
    # Download everything (GDPR article 20) and bringing a summary in
    Action("export.requested", _l("asked for an archive of all the data of the profile"), "export"),
    Action("export.downloaded", _l("downloaded the archive of all the data of the profile"), "export"),
    Action("ips.imported", _l("added to the profile a health summary from elsewhere. Lines added:"), "lines"),
    # Account and security
    Action("account.created", _l("created the account"), ""),
    Action("account.login", _l("logged in"), "method"),
    Action("security.key_added", _l("added a security key"), "key"),
    Action("security.key_renamed", _l("renamed a security key"), "key"),
    Action("security.key_removed", _l("removed a security key"), "key"),
    Action("security.key_counter_refused", _l("refused a key that may have been copied"), "key"),
    Action("security.recovery_codes_created",
           _l("made a new recovery sheet (the old codes stopped working)"), ""),
    Action("security.recovery_code_used", _l("logged in with a recovery code"), ""),
    Action("security.password_changed", _l("changed the password"), ""),
    Action("security.signed_out_others", _l("signed out the other devices"), "devices"),
    Action("security.device_signed_out", _l("signed out a device"), "device"),
    # Assisted onboarding and recovery (France Services); the step's name is the object label
    Action("onboarding.session_started", _l("started a help session with you at France Services"),
           "structure"),
    Action("onboarding.step_done", _l("marked this setup step as done:"), "step"),
    Action("onboarding.step_skipped", _l("skipped this setup step:"), "step"),
    Action("onboarding.session_ended", _l("ended the help session. Steps done:"), "steps"),
    Action("recovery.assisted_issued", _l("gave you a recovery code after checking your identity"),
           "structure"),
    Action("recovery.assisted_started", _l("received a request for a new password, made at France Services:"),
           "pending_recovery"),
    Action("recovery.assisted_notified", _l("told your phones and your e-mail about the request for a new "
                                            "password. Phones told:"), "devices"),
    Action("recovery.assisted_confirmed", _l("confirmed the request for a new password"), ""),
    Action("recovery.assisted_cancelled", _l("stopped the request for a new password"), "by"),
    Action("recovery.assisted_applied",
           _l("applied the new password and removed the old keys. Keys removed:"), "keys_removed"),
    Action("recovery.assisted_used", _l("set a new password with a recovery code from France Services"),
           "keys_removed"),
)}


def phrase_for(code: str):
    """The plain words for an action code (the code itself for an entry older than the catalogue)."""
    action = ACTIONS.get(code)
    return action.phrase if action else code
