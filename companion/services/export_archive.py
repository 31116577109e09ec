"""Making a "download everything" archive (run by the task queue, companion/tasks.py `build_export`).

One ZIP file: the documents as they were added (decrypted, checked against their sha256, under the
name a download gives them), the emergency card and the agenda's vaccinations as an IPS FHIR bundle,
the agenda as a calendar file, the access log as a spreadsheet, and a README in the person's language.
The ZIP is made in a temporary file, then stored encrypted in segments (services/crypto.py) in one
atomic write; the row says "ready" only once the file is whole."""

import hashlib
import logging
import tempfile
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..models.account import User
from ..models.document import Document
from ..models.export import RUNNING, DataExport
from ..models.profile import Profile
from ..models.types import utcnow
from ..texts import gettext as _
from ..texts import ngettext
from . import access_log, agenda_ics, agenda_store, crypto, dates, documents, ics, ips, mail
from .access import Access, find_access
from .exports import LIFETIME
from .storage import new_key

log = logging.getLogger("companion.exports")
COPY = 1024 * 1024


def build(export_id: int, now: datetime | None = None) -> bool:
    """Build the archive of this export; True when it is ready. A failure is written on the row."""
    row = db.session.get(DataExport, export_id)
    if row is None or row.status not in RUNNING:
        return False
    user = db.session.get(User, row.requested_by_id) if row.requested_by_id else None
    access = find_access(user, row.profile_id) if user else None
    if user is None or access is None or not access.allows("manage"):
        return _failed(row, "the account that asked no longer manages the profile")
    row.status, row.parts_done = "building", 0
    db.session.commit()
    key = new_key()
    try:
        with tempfile.TemporaryFile() as spool:
            _write_zip(spool, row, access, user)
            size = spool.tell()
            data_key = AESGCM.generate_key(256)
            digest = hashlib.sha256()
            documents.storage().put_stream(key, _sealed(spool, size, data_key, key.encode(), digest))
    except Exception:
        log.exception("export %s failed", export_id)
        db.session.rollback()
        documents.storage().delete(key)
        return _failed(db.session.get(DataExport, export_id), "build failed")
    now = now or utcnow()
    row.status, row.running_for, row.size, row.sha256 = "ready", None, size, digest.hexdigest()
    row.storage_key, row.wrapped_key = key, crypto.wrap(documents.master_key(), data_key)
    row.finished_at, row.expires_at = now, now + LIFETIME
    db.session.commit()
    return True


def _failed(row: DataExport | None, why: str) -> bool:
    if row is not None:
        log.warning("export %s failed: %s", row.id, why)
        row.status, row.running_for, row.finished_at = "failed", None, utcnow()
        db.session.commit()
    return False


def _sealed(spool, size: int, data_key: bytes, aad: bytes, digest):
    """The stored form: the magic, then each segment sealed with its index (the last one marked)."""
    yield crypto.SEGMENTED_MAGIC
    spool.seek(0)
    last = (size - 1) // crypto.SEGMENT
    for index in range(last + 1):
        chunk = spool.read(crypto.SEGMENT)
        digest.update(chunk)
        yield crypto.seal_segment(data_key, aad, index, index == last, chunk)


def _progress(row: DataExport) -> None:
    row.parts_done += 1
    db.session.commit()  # the page shows how far it is


def _write_zip(spool, row: DataExport, access: Access, user: User) -> None:
    profile = access.profile
    lang = row.locale
    tz = agenda_store.zone(user.timezone)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        names = _write_documents(archive, row, access)
        with force_locale(lang):
            archive.writestr("resume-sante-ips.json" if lang == "fr" else "health-summary-ips.json",
                             ips.checked_json(access, with_immunizations=True))
            _progress(row)
            archive.writestr("agenda.ics", _calendar(profile, user, lang, tz))
            _progress(row)
            archive.writestr("journal-des-acces.csv" if lang == "fr" else "access-log.csv",
                             _access_log(profile, user, tz))
            _progress(row)
            archive.writestr("LISEZ-MOI.txt" if lang == "fr" else "README.txt",
                             readme(profile, names, lang, tz))
            _progress(row)
    spool.seek(0, 2)


def _write_documents(archive: zipfile.ZipFile, row: DataExport, access: Access) -> int:
    """Each document as its original file (PDF and images are compressed already: stored as is)."""
    folder = "documents/"
    used: set[str] = set()
    count = 0
    for doc in db.session.scalars(select(Document).where(*documents.visible_clause(access))
                                  .order_by(Document.care_date.nulls_last(), Document.id)):
        name = _unique(documents.download_name(doc.title, doc.content_type), used)
        stamp = doc.created_at.astimezone(ZoneInfo("UTC")).timetuple()[:6]
        info = zipfile.ZipInfo(folder + name, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
        info.compress_type = zipfile.ZIP_STORED
        archive.writestr(info, documents.read_bytes(doc))
        count += 1
        _progress(row)
    return count


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate.casefold() in used:
        candidate, n = f"{stem} ({n}).{ext}" if dot else f"{name} ({n})", n + 1
    used.add(candidate.casefold())
    return candidate


def _calendar(profile: Profile, user: User, lang: str, tz: ZoneInfo) -> str:
    """Every agenda item with a date and every personal reminder, saying what each is: this copy is
    the person's own, not a shared phone calendar (the page's downloads stay neutral by default)."""
    today = datetime.now(tz).date()
    url = mail.public_url(f"/p/{profile.id}/agenda")
    alarm = agenda_ics.reminder_hour(user.id)
    events = [agenda_ics.item_event(item, profile, lang, today, precise=True, alarm_at=alarm, url=url)
              for item in agenda_store.items_for(profile, today) if item.remind_on is not None]
    events += [agenda_ics.reminder_event(rem, profile, precise=True, url=url)
               for rem in agenda_store.personal_list(profile.id)]
    return ics.calendar(events)


def _access_log(profile: Profile, user: User, tz: ZoneInfo) -> str:
    """The whole retained log of the profile (and of the account, for one's own profile), as the
    access-log page's CSV copy writes it."""
    filters = access_log.Filters(profile_ids=(profile.id,),
                                 account_id=user.id if profile.user_id == user.id else None, tz=tz.key)

    def when(at):  # as the page's CSV copy writes it, in the person's own time zone
        return dates.moment(at, tz)

    parts = [access_log.csv_text([], access_log.csv_header())]
    for batch in access_log.every_event(filters):
        parts.append(access_log.csv_text(access_log.rows(batch, user.id, when=when)))
    return "".join(parts)


def readme(profile: Profile, document_count: int, lang: str, tz: ZoneInfo) -> str:
    """What is in the archive and how to open each file, in plain words."""
    fr = lang == "fr"
    made = babel_date(utcnow().astimezone(tz).date(), "long", locale=lang)
    docs = ["documents/  " + ngettext("Your document, as it was added (a PDF file or a picture).",
                                      "Your %(num)s documents, as they were added (PDF files and pictures).",
                                      document_count)] if document_count else []
    lines = [
        _("All the data of %(name)s in Companion", name=profile.full_name),
        _("Made on %(date)s.", date=made), "",
        _("This archive holds:"), "", *docs,
        ("resume-sante-ips.json" if fr else "health-summary-ips.json") + "  " + _(
            "Your emergency card and your vaccinations, in the international format for health "
            "software (IPS, FHIR). You can give it to a doctor, or bring it into another Companion "
            "account."),
        "agenda.ics  " + _("Your prevention agenda and your reminders. Open it with your calendar "
                           "(phone or computer)."),
        ("journal-des-acces.csv" if fr else "access-log.csv") + "  " + _(
            "Who looked at or changed this profile, and when. Open it with a spreadsheet."),
        "", _("Keep this archive in a safe place: it holds health information. Anyone who has the file "
              "can read it."), ""]
    return "\r\n".join(lines)
