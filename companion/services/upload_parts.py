"""A file sent in parts, so a weak line that drops does not start it again from the first byte.

The page (js/outbox.js, and the worker's Background Sync) asks how much of an upload arrived, sends the
rest in parts of at most PART bytes, each at the place the server names, then sends the form with the
file's size instead of the file; the upload's key is the form's Idempotency-Key. The form's view takes
the parts in its own transaction: the document and the end of its parts are one commit, and a refused
form leaves the parts for the next try.

- A part is only kept whole: one whose body was cut short is refused before anything is written.
- A part is only kept at the end of what arrived: a part sent twice (a retry after a lost answer, two
  tabs) gets a 409 with the right place, and the database's unique place lets only one of two at once in.
- Parts belong to the account that sent them; another account's key reads as nothing and cannot be
  taken. Sealed like documents, bound to their account, key and place.
- An account holds at most PENDING_FILES files' worth in parts; parts are forgotten after KEEP, when the
  outbox would not send their form any more.
"""

import re
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.account import User
from ..models.types import utcnow
from ..models.upload import UploadPart
from . import ServiceError, crypto, receipts
from .documents import master_key

PART = 256 * 1024  # 10 s at 25 KB/s: what a cut can cost, against one request's latency per part
PENDING_FILES = 4  # files' worth of parts an account may hold at once (several photos queued offline)
KEY = re.compile(r"^[0-9a-f]{32}$")


def _check_key(key: str) -> None:
    if not KEY.match(key or ""):
        raise ServiceError(_l("This file could not be sent. Please try again."), 400)


def _aad(user: User, key: str, start: int) -> bytes:
    return f"upload-part:{user.id}:{key}:{start}".encode()


def done(user: User, key: str) -> bool:
    """The form that followed these parts was applied (its receipt is kept, receipts.py): a try whose
    answer was lost sends the form again for that answer, not the whole file again."""
    _check_key(key)
    row = receipts.lookup(user.id, key)
    return row is not None and 200 <= row.status < 300


def received(user: User, key: str) -> int:
    """How many bytes of this upload arrived (parts are only kept end to end, so it is their sum)."""
    _check_key(key)
    total = db.session.scalar(select(func.coalesce(func.sum(UploadPart.size), 0))
                              .where(UploadPart.user_id == user.id, UploadPart.key == key))
    return int(total or 0)


def _not_here(have: int) -> ServiceError:
    return ServiceError(_l("This part was not expected here."), 409, details={"received": have})


def append(user: User, key: str, start: int, data: bytes) -> int:
    """Keep `data` as the part at `start`; return how many bytes have arrived. Refused (nothing kept)
    when `start` is not the end of what arrived, or past the limits."""
    have = received(user, key)
    if start != have:
        raise _not_here(have)
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data or len(data) > PART or start + len(data) > limit:
        mb = limit // (1024 * 1024)
        raise ServiceError(_l("This file is too big: the limit is %(mb)s MB.", mb=mb), 413)
    waiting = db.session.scalar(select(func.coalesce(func.sum(UploadPart.size), 0))
                                .where(UploadPart.user_id == user.id)) or 0
    if waiting + len(data) > PENDING_FILES * limit:
        raise ServiceError(_l("Too many files are waiting to be sent from this account. Please wait until "
                              "they are sent, or remove some from the waiting list."), 413)
    blob, wrapped = crypto.encrypt(master_key(), data, _aad(user, key, start))
    db.session.add(UploadPart(user_id=user.id, key=key, start=start, size=len(data), blob=blob,
                              wrapped_key=wrapped))
    try:
        db.session.flush()
    except IntegrityError:  # the same part, sent at the same instant by another try: that one is kept
        db.session.rollback()  # this request wrote nothing else
        raise _not_here(received(user, key)) from None
    return start + len(data)


def take(user: User, key: str, size: int) -> bytes:
    """The whole file, its parts deleted in the caller's transaction. Refused when it has not all arrived
    (`size` is what the page sent; the form is sent again after its parts)."""
    _check_key(key)
    parts = db.session.scalars(select(UploadPart).where(UploadPart.user_id == user.id, UploadPart.key == key)
                               .order_by(UploadPart.start).with_for_update()).all()
    data = b"".join(crypto.decrypt(master_key(), p.blob, p.wrapped_key, _aad(user, key, p.start))
                    for p in parts)
    if not parts or len(data) != size:
        raise ServiceError(_l("The file did not arrive whole. Please send it again."), 409,
                           field="file", details={"received": len(data)})
    db.session.execute(delete(UploadPart).where(UploadPart.user_id == user.id, UploadPart.key == key))
    return data


def prune(now: datetime | None = None) -> int:
    """Parts of files whose form will never come: the outbox stops sending after receipts.SEND_WITHIN."""
    now = now or utcnow()
    result = db.session.execute(delete(UploadPart).where(UploadPart.created_at < now - receipts.KEEP))
    return int(getattr(result, "rowcount", 0) or 0)
