"""Honest access-log entries for what the service worker does in the background.

A background copy is not an opening. Before its sync downloads any document file, the worker announces
the files it is about to copy (`announce`): the server writes one entry per profile ("copied these
documents to their phone for offline use", with the titles; more when the titles do not fit in one) and
answers with a short-lived signed copy token naming exactly those documents, this account and this
device. The file requests that carry the token (header sw_contract.COPY_TOKEN) are then not logged again
as openings.

Why a caregiver cannot use this to hide a real opening: the token is only issued by writing the copy
entry first, so every file fetched with it is already in the owner's log, with its title, as copied to
the caregiver's phone. A forged, expired or foreign token, or one that does not name the document, is
ignored and the request is logged as an opening like any other. A sync cut before the download is
finished may log a copy that did not complete; the next sync announces it again: the log errs on the
side of telling the owner more, never less.

Openings made offline (the worker served a saved file without network) are queued on the device and
reported when the line is back (`report_opened`): "opened a document without network", with the time
the device gives. The server cannot see what happens offline: a tampered device could withhold this
report, which is why the copy itself is always logged, so the owner knows the document is on that phone.
"""

import re
from datetime import UTC, datetime
from typing import cast

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import String

from ..models.account import User
from ..models.audit import AccessEvent
from ..models.document import Document
from . import ServiceError, audit, dates
from .access import Access, find_access
from .documents import get as get_document

FILE_PATH = re.compile(r"^/p/(\d+)/documents/(\d+)/file$")
TOKEN_SECONDS = 60 * 60  # a whole sync on 2G: 50 MB (the monthly cap) at 25 KB/s is about 35 minutes
MAX_ITEMS = 200
# What one access-log entry holds.
ID_CHARS, LABEL_CHARS = (cast(String, AccessEvent.__table__.c[n].type).length or 0
                         for n in ("object_id", "object_label"))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="offline-copy")


def _documents(user: User, paths) -> list[tuple[Access, Document]]:
    """(access, document) for each file path this account may read now; the others are skipped."""
    found = []
    for path in list(paths)[:MAX_ITEMS]:
        m = FILE_PATH.match(str(path))
        if not m:
            continue
        access = find_access(user, int(m[1]))
        if access is None or not access.allows("documents:read"):
            continue
        try:
            found.append((access, get_document(access, int(m[2]))))
        except ServiceError:
            continue
    return found


def announce(user: User, device_id: str, paths) -> str:
    """Log one copy entry per profile for these files and return the token the worker sends with them."""
    by_profile: dict[int, tuple[Access, list[Document]]] = {}
    for access, doc in _documents(user, paths):
        by_profile.setdefault(access.profile.id, (access, []))[1].append(doc)
    ids = []
    for access, docs in by_profile.values():
        for part in _entries(docs):
            ids += [d.id for d in part]
            audit.record_access(access, user, "document.copied_offline", object_type="document",
                                object_id=",".join(str(d.id) for d in part),
                                object_label="; ".join(d.title for d in part)[:LABEL_CHARS])
    return _serializer().dumps({"u": user.id, "d": device_id, "f": ids})


def _entries(docs: list[Document]) -> list[list[Document]]:
    """The documents in as few log entries as hold every id and every whole title: the token lets the
    worker fetch each one unlogged, so a name cut off at the end of one long entry would be a file
    fetched that the owner's log never names."""
    parts: list[list[Document]] = []
    ids = label = 0
    for doc in docs:
        more_ids, more_label = len(str(doc.id)) + 1, len(doc.title) + 2
        if not parts or ids + more_ids > ID_CHARS + 1 or label + more_label > LABEL_CHARS + 2:
            parts.append([])
            ids = label = 0
        parts[-1].append(doc)
        ids, label = ids + more_ids, label + more_label
    return parts


def _token(token: str, user: User, device_id: str) -> dict | None:
    """What a valid copy token names, if it was given to this account on this device."""
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=TOKEN_SECONDS)
    except BadSignature:
        return None
    ok = isinstance(data, dict) and data.get("u") == user.id and data.get("d") == device_id
    return data if ok else None


def is_copy(token: str, user: User, device_id: str, doc_id: int) -> bool:
    """True when this file request is a background copy already logged by `announce`."""
    data = _token(token, user, device_id)
    return data is not None and doc_id in (data.get("f") or [])


def is_sync(token: str, user: User, device_id: str) -> bool:
    """True when a card or agenda page is fetched by this device's own sync (with the token its report
    was given): that view is logged as a copy to the phone. Any other header value, an empty one, a
    forged one or another device's included, is a view like any other. A person who replays their own
    device's report by hand is logged as copying to that device: the server cannot tell a hand from the
    worker on a device the person holds, and the owner still learns the card is there."""
    return _token(token, user, device_id) is not None


def report_opened(user: User, items) -> int:
    """Log the openings made without network: [{"url": file path, "at": epoch milliseconds}]."""
    count = 0
    for item in list(items)[:MAX_ITEMS]:
        if not isinstance(item, dict):
            continue
        found = _documents(user, [item.get("url", "")])
        if not found:
            continue
        access, doc = found[0]
        try:
            when = datetime.fromtimestamp(int(item.get("at", 0)) / 1000, UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            continue
        label = f"{doc.title} ({dates.moment(when)})"
        if audit.record_access(access, user, "document.open_offline", object_type="document",
                               object_id=doc.id, object_label=label[:200]) is not None:
            count += 1
    return count
