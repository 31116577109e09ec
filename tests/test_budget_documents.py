"""The document list with 50 documents stays within the page budget on a first visit."""

from sqlalchemy import select

from companion.demo.documents import make_pdf
from companion.extensions import db
from companion.models.account import User
from companion.services import documents
from companion.services.access import find_access

from .budgets import KB, first_visit
from .cast import sign_up
from .documents_support import _empty_document_store  # noqa: F401

TYPES = ["11502-2", "18748-4", "57833-6", "11490-0", "60591-5", "11369-6", "89601-9", "PRESC-KINE"]


def test_the_document_list_with_50_documents_is_at_most_50_kb_first_visit(app, web, ctx):
    profile_id = sign_up(web, ctx)
    with app.test_request_context():
        user = db.session.scalar(select(User))
        access = find_access(user, profile_id)
        for i in range(50):
            documents.add(access, user, make_pdf(f"Document {i}"), title=f"Compte rendu numéro {i}",
                          type_code=TYPES[i % len(TYPES)],
                          source="Centre hospitalier de Tours, cardiologie")
        db.session.commit()
    total, sizes = first_visit(web.client, f"/p/{profile_id}/documents")
    assert total <= 50 * KB, sizes
    for url in (f"/p/{profile_id}/documents?page=3", f"/p/{profile_id}/documents?class=11"):
        total, sizes = first_visit(web.client, url)
        assert total <= 50 * KB, sizes
