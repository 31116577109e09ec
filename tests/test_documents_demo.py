"""The demo documents: generated, typed, readable, and seeding twice adds nothing."""

from sqlalchemy import func, select

from companion.demo import seed_all
from companion.extensions import db
from companion.models.document import Document
from companion.services import documents

from .documents_support import _empty_document_store  # noqa: F401


def test_demo_documents_are_valid_pdfs_and_seeding_is_idempotent(app):
    with app.test_request_context():
        seed_all()
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(Document))
        assert count >= 12
        assert len({d.type_code for d in db.session.scalars(select(Document))}) >= 8
        for doc in db.session.scalars(select(Document)):
            data = documents.read_bytes(doc)
            assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
        seed_all()
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Document)) == count
