"""Matrix cases for every document route (issue 5), including download and the offline manifest."""

import io

from companion.models.profile import Profile
from companion.services import documents
from companion.services.access import find_access

from ..documents_support import PDF, cda
from . import Case, World


def _doc(world: World, *, trashed=False) -> None:
    owner = world.users["owner"]
    access = find_access(owner, world.profile_id)
    doc = documents.add(access, owner, PDF, title="Matrix report", type_code="11502-2").document
    if trashed:
        documents.trash(access, owner, doc)
    world.objects["doc_id"] = doc.id


def _trashed(world: World) -> None:
    _doc(world, trashed=True)


def _with_ins(world: World) -> None:
    from companion.extensions import db

    db.session.get(Profile, world.profile_id).ins = "279035121518989"


DOC = {"kwargs": lambda w: {"doc_id": w.objects["doc_id"]}, "prepare": _doc}
EDIT = {"title": "Renamed", "type_code": "57833-6", "care_date": "2026-01-02", "source": "Dr Test"}

CASES = [
    Case("documents.index", "documents:read"),
    Case("documents.index", "documents:read", method="POST", data=lambda w: {"q": "Matrix"}, prepare=_doc),
    Case("documents.offline_manifest", "documents:read"),
    Case("documents.show", "documents:read", **DOC),
    Case("documents.file", "documents:read", **DOC),
    Case("documents.download", "documents:read", **DOC),
    Case("documents.pin", "documents:read", method="POST", data=lambda w: {"pinned": "1"}, **DOC),
    Case("documents.upload", "documents:write"),
    Case("documents.upload", "documents:write", method="POST",
         data=lambda w: {"file": (io.BytesIO(PDF), "scan.pdf"), "type_code": "11502-2", "title": "New"}),
    Case("documents.import_cda", "documents:write"),
    Case("documents.import_cda", "documents:write", method="POST", prepare=_with_ins,
         data=lambda w: {"file": (io.BytesIO(cda()), "doc.xml")}),
    Case("documents.edit", "documents:write", **DOC),
    Case("documents.edit", "documents:write", method="POST", data=lambda w: dict(EDIT), **DOC),
    Case("documents.hide", "manage", method="POST", data=lambda w: {"hidden": "1"}, **DOC),
    Case("documents.hide", "manage", method="POST", data=lambda w: {"hidden": "0"}, **DOC),
    Case("documents.delete", "documents:write", **DOC),
    Case("documents.delete", "documents:write", method="POST", **DOC),
    Case("documents.trash", "documents:write"),
    Case("documents.restore", "documents:write", method="POST",
         kwargs=lambda w: {"doc_id": w.objects["doc_id"]}, prepare=_trashed),
]
