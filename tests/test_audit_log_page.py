"""The owner reads the access log in plain words, filters it by person and period (extreme dates
typed in the address bar included), downloads it."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.delegation import Delegation
from companion.models.types import utcnow
from companion.services import audit

from .cast import invite, own_profile_id, registered


def _caregiver(app, ctx, owner, pid, email, name):
    helper = registered(app, email=email, name=name)
    invite(owner, pid, email=email)
    with ctx():
        d_id = db.session.scalar(select(Delegation.id).where(Delegation.invited_email == email))
    helper.post(f"/invitations/{d_id}/accept", from_url="/")
    return helper


def test_the_log_names_each_person_and_can_be_filtered_by_person_and_period(app, ctx):
    louis = registered(app, "louis")
    pid = own_profile_id(ctx, "louis")
    sophie = _caregiver(app, ctx, louis, pid, "sophie@example.fr", "Sophie Bernard")
    marie = _caregiver(app, ctx, louis, pid, "marie@example.fr", "Marie Voisine")
    sophie.get(f"/p/{pid}/")
    marie.get(f"/p/{pid}/")
    with ctx():
        marie_id = db.session.scalar(select(User.id).where(User.email == "marie@example.fr"))
        audit.record(actor=None, actor_role="system", action="profile.view", profile_id=pid,
                     object_label="ancienne entrée", at=utcnow() - timedelta(days=40))
        db.session.commit()
    page = louis.get(f"/p/{pid}/access-log").get_data(as_text=True)
    assert "Sophie Bernard (aidant) a ouvert le profil" in page
    assert "Marie Voisine (aidant) a ouvert le profil" in page
    assert "Louis Bernard (vous) a créé le compte" in page  # his own account's events
    assert "Louis Bernard (vous) a invité un aidant «\u00a0sophie@example.fr\u00a0»" in page
    only_marie = louis.get(f"/p/{pid}/access-log?who={marie_id}").get_data(as_text=True)
    assert "Marie Voisine (aidant)" in only_marie and "Sophie Bernard (aidant)" not in only_marie
    today = utcnow().date()
    until = (today - timedelta(days=30)).isoformat()
    old = louis.get(f"/p/{pid}/access-log?until={until}").get_data(as_text=True)
    assert "ancienne entrée" in old and "Sophie Bernard (aidant)" not in old
    recent = louis.get(f"/p/{pid}/access-log?since={(today - timedelta(days=1)).isoformat()}")
    assert "ancienne entrée" not in recent.get_data(as_text=True)


def test_the_log_downloads_as_csv_in_plain_words(app, ctx):
    louis = registered(app, "louis")
    pid = own_profile_id(ctx, "louis")
    sophie = _caregiver(app, ctx, louis, pid, "sophie@example.fr", "=Sophie")
    sophie.get(f"/p/{pid}/")
    resp = louis.get(f"/p/{pid}/access-log.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Quand", "Qui", "Rôle", "Quoi", "Objet"]
    opened = [r for r in rows if r[3] == "a ouvert le profil"]
    # A name starting with "=" must not become a spreadsheet formula.
    assert opened and opened[0][1] == "'=Sophie" and opened[0][2] == "aidant"


def test_a_co_owner_does_not_see_the_other_owners_security_events(app, ctx):
    claire = registered(app, "claire")
    paul = registered(app, "paul")
    claire.post("/profiles/new", {"first_name": "Léa", "last_name": "Martin", "birth_date": "2026-07-10",
                                  "sex": "F"})
    from companion.models.profile import Profile

    with ctx():
        pid = db.session.scalar(select(Profile.id).where(Profile.first_name == "Léa"))
    claire.post(f"/p/{pid}/owners", {"email": "paul@example.fr", "relation": "parent"})
    page = paul.get(f"/p/{pid}/access-log").get_data(as_text=True)
    assert "a partagé la gestion du profil avec «\u00a0Paul Martin\u00a0»" in page
    assert "a créé le compte" not in page  # neither parent's own account events


EXTREMES = ["until=9999-12-31", "since=0001-01-01", "since=0001-01-01&until=9999-12-31"]


@pytest.mark.parametrize("query", EXTREMES)
def test_extreme_dates_in_the_filter_still_show_the_log(app, ctx, query):
    claire = registered(app, "claire")
    pid = own_profile_id(ctx, "claire")
    page = claire.get(f"/p/{pid}/access-log?{query}")
    assert page.status_code == 200
    assert "Claire Martin (vous)" in page.get_data(as_text=True)
    csv = claire.get(f"/p/{pid}/access-log.csv?{query}")
    assert csv.status_code == 200 and "Claire Martin" in csv.get_data(as_text=True)
