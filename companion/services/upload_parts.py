"""A file sent so that a weak line that drops does not start it again from the first byte.

The page (js/outbox.js, and the worker's Background Sync) asks how much of an upload arrived and sends
the rest in one request at the place the server names; when the line drops in the middle, the bytes
that arrived are kept (views/documents/parts.py), and the next try sends only what is missing. Then the
form is sent with the file's size instead of the file; the upload's key is the form's Idempotency-Key.
The form's view takes the parts in its own transaction: the document and the end of its parts are one
commit, and a form sent before the last byte leaves the parts for the next try.

- Bytes are only kept at the end of what arrived: a request sent twice (a retry after a lost answer,
  two tabs) gets a 409 with the right place, and the database's unique place lets only one of two at
  once in. What arrived of a cut request is in order and the file's own (TCP), so it is kept as is.
- Parts belong to the account that sent them; another account's key reads as nothing and cannot be
  taken. Sealed like documents, bound to their account, key and place.
- Only an account that may add documents somewhere sends parts; it holds at most PENDING_FILES files'
  worth (past that its oldest other uploads are forgotten, to be sent again from their start); parts
  of a refused file go at once, the others after receipts.KEEP, when the outbox would not send their
  form any more.
"""

import re
from collections.abc import Callable
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models.account import User
from ..models.types import utcnow
from ..models.upload import UploadPart
from ..texts import lazy_gettext as _l
from . import ServiceError, access, crypto, receipts
from .documents import master_key

# A file over this size is sent resumably: below it, a cut costs less than the two extra requests
# (how much arrived, then the form) that resuming needs on a 2-second line.
PART = 256 * 1024
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
    # A receipt is only kept for a write that was applied (a refusal leaves the key free); one whose
    # answer was not stored yet (status 0) was applied all the same.
    return receipts.lookup(user.id, key) is not None


def received(user: User, key: str) -> int:
    """How many bytes of this upload arrived (parts are only kept end to end, so it is their sum)."""
    _check_key(key)
    total = db.session.scalar(select(func.coalesce(func.sum(UploadPart.size), 0))
                              .where(UploadPart.user_id == user.id, UploadPart.key == key))
    return int(total or 0)


def _not_here(have: int) -> ServiceError:
    return ServiceError(_l("This part was not expected here."), 409, details={"received": have})


class Incomplete(ServiceError):
    """The form came before its last part: the parts stay for the next try."""


def _may_send(user: User) -> None:
    # Parts are only a way to add a document: an account that may add none anywhere (a caregiver for
    # the agenda only) has no use for them, and no room in the database.
    if not any(a.allows("documents:write") for a in access.accessible_profiles(user)):
        raise ServiceError(_l("You cannot add documents to any profile."), 403)


def _make_room(user: User, key: str, size: int) -> None:
    """Past PENDING_FILES files' worth, the account's oldest other uploads are forgotten whole: the newest
    goes on, and a forgotten one is sent again from its start (the phone still holds the file)."""
    cap = PENDING_FILES * current_app.config["MAX_UPLOAD_BYTES"]
    oldest = func.min(UploadPart.created_at)
    rows = db.session.execute(select(UploadPart.key, func.sum(UploadPart.size))
                              .where(UploadPart.user_id == user.id).group_by(UploadPart.key)
                              .order_by(oldest)).all()
    waiting = sum(int(r[1]) for r in rows) + size
    for other, held in rows:
        if waiting <= cap:
            return
        if other != key:
            forget(user, other)
            waiting -= int(held)


def receive(user: User, key: str, start: int, length: int,
            read: Callable[[int], tuple[bytes, bool]]) -> tuple[int, bool]:
    """Take a request's body of `length` bytes meant for `start`: checked before `read` reads a byte of
    it, then kept, all of it or what arrived before a cut. How many bytes of the file have arrived, and
    whether the body came whole."""
    _may_send(user)
    if length <= 0:
        raise ServiceError(_l("This file could not be sent. Please try again."), 400)
    have = received(user, key)
    if start != have:  # a retry of bytes already here
        raise _not_here(have)
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if start + length > limit:
        raise ServiceError(_l("This file is too big: the limit is %(mb)s MB.", mb=limit // (1024 * 1024)),
                           413)
    data, whole = read(length)
    return (append(user, key, start, data) if data else start), whole


def append(user: User, key: str, start: int, data: bytes) -> int:
    """Keep `data` as the part at `start` (checked by `receive`); how many bytes have arrived. Another
    request that passed the same checks meanwhile wrote at the same place: the unique place keeps one."""
    _make_room(user, key, len(data))
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
    (`size` is what the page sent; the form is sent again after its parts), and when a part does not
    open (the caller forgets them: the next try sends the file again from its start)."""
    _check_key(key)
    parts = db.session.scalars(select(UploadPart).where(UploadPart.user_id == user.id, UploadPart.key == key)
                               .order_by(UploadPart.start).with_for_update()).all()
    try:
        data = b"".join(crypto.decrypt(master_key(), p.blob, p.wrapped_key, _aad(user, key, p.start))
                        for p in parts)
    except crypto.CryptoError:
        raise ServiceError(_l("The file did not arrive whole. Please send it again."), 409,
                           field="file") from None
    if not parts or len(data) != size:
        raise Incomplete(_l("The file did not arrive whole. Please send it again."), 409,
                         field="file", details={"received": len(data)})
    forget(user, key)
    return data


def forget(user: User, key: str) -> None:
    """This upload's parts, all of them (a refused file, a change the person discarded)."""
    if KEY.match(key or ""):
        db.session.execute(delete(UploadPart).where(UploadPart.user_id == user.id, UploadPart.key == key))


def prune(now: datetime | None = None) -> int:
    """Uploads whose form will never come (the outbox stops sending after receipts.SEND_WITHIN), whole:
    an upload with its first parts gone would never find where to go on."""
    old = (select(UploadPart.user_id, UploadPart.key).group_by(UploadPart.user_id, UploadPart.key)
           .having(func.min(UploadPart.created_at) < (now or utcnow()) - receipts.KEEP))
    result = db.session.execute(delete(UploadPart).where(tuple_(UploadPart.user_id, UploadPart.key).in_(old)))
    return int(getattr(result, "rowcount", 0) or 0)
