"""The agenda page shows what the rules data says: dose notes in the page's language, items past a
hard upper age apart as "no longer recommended" (not late), a catch-up counted as done through the
dose it catches up on, and the choice of a neutral or named calendar file."""

from datetime import date

import pytest
from sqlalchemy import select

from companion.extensions import db
from companion.models.agenda import AgendaItem
from companion.models.profile import Profile
from companion.prevention import load_rules


@pytest.fixture
def person(web, ctx):
    web.register(email="ines@example.fr", name="Inès Moreau")

    def set_up(birth, sex="F", done=None):
        with ctx():
            profile = db.session.scalar(select(Profile).where(Profile.first_name == "Inès"))
            profile.birth_date, profile.sex = birth, sex
            for rule_id, day in (done or {}).items():
                db.session.add(AgendaItem(profile_id=profile.id, rule_id=rule_id, done_on=day,
                                          dismiss_reason=""))
            db.session.commit()
            return profile.id
    return set_up


def _years_ago(years: int) -> date:
    today = date.today()
    return date(today.year - years, today.month, min(today.day, 28))


def test_past_the_hpv_catch_up_age_it_is_no_longer_recommended_not_late(client, person):
    pid = person(_years_ago(31))
    html = client.get(f"/p/{pid}/agenda").get_data(as_text=True)
    now = html[html.index('id="now"'):html.index('id="personal-h"')]
    rules = load_rules()
    assert rules["HPV_CATCHUP"].label_fr not in now and "il n’est pas trop tard" not in now
    assert "N’est plus recommandé à cet âge" in html and rules["HPV_CATCHUP"].label_fr in html


def test_notes_follow_the_page_language(web, client, person):
    pid = person(_years_ago(52))
    breast = load_rules()["DO_BREAST"]
    assert breast.note_fr in client.get(f"/p/{pid}/agenda").get_data(as_text=True)
    web.post("/language", {"lang": "en", "next": "/"}, from_url="/")
    html = client.get(f"/p/{pid}/agenda").get_data(as_text=True)
    assert breast.note_en in html and breast.note_fr not in html


def test_a_teen_dose_counts_for_its_catch_up_and_the_calendar_link_can_carry_the_name(app, client, person):
    from companion.services import agenda_refs

    pid = person(_years_ago(19), "M", {"ADO_MENACWY": date(2020, 4, 1)})
    html = client.get(f"/p/{pid}/agenda").get_data(as_text=True)
    assert "Compté comme fait\u00a0: Méningocoques ACWY adolescent" in html
    with app.app_context():  # the link names the item by its code (services/agenda_refs.py)
        code = agenda_refs.ref("HPV_CATCHUP")
    assert f"/p/{pid}/agenda/{code}.ics?label=1" in html and "Rappel santé" in html
