"""What the access log names is read in the reader's words: a day or a moment in the one date format of
the pages (never "2026-03-12 14:30 UTC"), and a teen's choice for the parents as words, not codes."""

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.services import log_labels

from .cast import make_profile


@pytest.mark.parametrize("lang,label,expected", [
    ("fr", "2026-12-30", "30\u00a0décembre\u00a02026"),
    ("en", "2026-12-30", "December\u00a030,\u00a02026"),
    ("fr", "2026-03-12 14:30 UTC", "12\u00a0mars\u00a02026 à 15:30"),  # Paris is UTC+1 in March
    ("fr", "2026-07-12 14:30 UTC", "12\u00a0juillet\u00a02026 à 16:30"),  # and UTC+2 in summer
    ("fr", "agenda documents:read; keep at 18", "l’agenda, les documents (ils le gardent après 18\u00a0ans)"),
    ("en", "-; end at 18", "nothing (it ends at 18)"),
    ("fr", "Sophie Bernard", "Sophie Bernard"),
    ("fr", None, ""),
])
def test_labels_are_shown_in_the_readers_words(app, lang, label, expected):
    with app.test_request_context(), force_locale(lang):
        assert log_labels.shown(label) == expected


def test_the_access_log_page_shows_a_closure_day_in_words(app, web, claire, ctx):
    with ctx():
        me = db.session.scalar(select(User).where(User.email == "claire@example.fr"))
        lea = make_profile(me, "Léa", "Martin").id
        db.session.commit()
    assert web.post(f"/p/{lea}/close", {"understood": "y"}).status_code == 302
    page = web.get(f"/p/{lea}/access-log").get_data(as_text=True)
    entry = re.search(r"fermer cet espace[^«]*«\u00a0([^»]*)\u00a0»", page)
    assert entry, page
    assert re.fullmatch(r"\d{1,2}\xa0[a-zéû]+\xa020\d\d", entry[1])  # "30 décembre 2026", not "2026-12-30"
