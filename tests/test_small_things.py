"""The smaller things an older person hits (issue 14), each checked as she would see it."""

import io
from datetime import date, timedelta
from urllib.parse import quote

from flask_babel import force_locale, gettext, ngettext

from companion.extensions import db
from companion.models.profile import Profile
from companion.services import profiles, recovery

from .cast import sign_up
from .documents_support import PDF, _empty_document_store, doc_id, upload  # noqa: F401


def test_a_baby_is_shown_in_months_not_0_years(web, ctx):
    pid = sign_up(web, ctx)
    with ctx():
        db.session.get(Profile, pid).birth_date = date.today() - timedelta(days=125)
        db.session.commit()
    page = web.get(f"/p/{pid}/").get_data(as_text=True)
    assert "(4\u00a0mois)" in page and "0\u00a0an" not in page
    assert profiles.age_in_months(date(2026, 1, 31), date(2026, 3, 30)) == 1


def test_a_skipped_step_does_not_read_as_done(app):
    with app.test_request_context(), force_locale("fr"):
        assert gettext("skipped") == "pour plus tard" and gettext("Skipped") == "Pour plus tard"
        assert "passé" not in gettext("skipped this setup step:")
        assert ngettext("%(num)d month old", "%(num)d months old", 4) == "4\u00a0mois"


def test_recovery_codes_have_no_look_alike_characters(app, ctx):
    for ch in "SZBOIL01U":
        assert ch not in recovery.ALPHABET


def test_a_download_keeps_the_title_in_any_alphabet(web, ctx):
    pid = sign_up(web, ctx)
    for title, expected in (("CR d'imagerie médicale", "CR d'imagerie médicale.pdf"),
                            ("تقرير طبي", "تقرير طبي.pdf"), ("診断書", "診断書.pdf")):
        doc = doc_id(upload(web, pid, PDF if title.startswith("CR") else PDF + title.encode(), title=title))
        disposition = web.get(f"/p/{pid}/documents/{doc}/download").headers["Content-Disposition"]
        assert f"filename*=UTF-8''{quote(expected)}" in disposition, disposition


def test_plain_words_replace_the_jargon(app):
    with app.test_request_context(), force_locale("fr"):
        assert gettext("Key document") == "Document important"
        assert gettext("Timeline") == "Calendrier en image"
        assert "titulaire" not in gettext("Only the owners of a profile can change it.")
        assert gettext("owner") == "responsable du profil"
        assert "historique" not in gettext("The session will be written in your access log.")


def test_a_file_too_big_without_javascript_says_the_limit(web, ctx, monkeypatch):
    pid = sign_up(web, ctx)
    monkeypatch.setitem(web.client.application.config, "MAX_UPLOAD_BYTES", 1024 * 1024)
    monkeypatch.setitem(web.client.application.config, "MAX_CONTENT_LENGTH", 1024 * 1024 + 64 * 1024)
    url = f"/p/{pid}/documents/upload"
    data = {"csrf_token": web.token(url), "type_code": "EXPPAT_2",
            "file": (io.BytesIO(b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)), "big.pdf")}
    resp = web.client.post(url, data=data, content_type="multipart/form-data")
    assert resp.status_code == 413 and "la limite est de 1\u00a0Mo" in resp.get_data(as_text=True)
