"""A parent manages a child's profile, shares it with the other parent; INS checked; the switcher."""

import re
from datetime import date

from sqlalchemy import select

from companion.extensions import db
from companion.models.profile import Profile, ProfileOwner
from companion.models.types import utcnow
from companion.services import ServiceError, profiles

from .cast import own_profile_id, registered

VALID_INS = "2 95 10 99 126 111 93"


def _child(**fields):
    today = utcnow().date()
    return {"first_name": "Léa", "last_name": "Martin", "birth_date": date(today.year - 1, 7, 10).isoformat(),
            "sex": "F", "ins": "", **fields}


def test_a_parent_creates_a_child_profile_and_shares_it_with_the_other_parent(app, ctx):
    claire = registered(app, "claire")
    paul = registered(app, "paul")
    resp = claire.post("/profiles/new", _child())
    assert resp.status_code == 302
    with ctx():
        child = db.session.scalar(select(Profile).where(Profile.first_name == "Léa"))
        pid, owner_rel = child.id, db.session.scalar(select(ProfileOwner.relation).where(
            ProfileOwner.profile_id == child.id))
    assert owner_rel == "parent"
    home = claire.get("/").get_data(as_text=True)
    assert "Léa Martin" in home and "Un profil que vous gérez" in home
    page = claire.get(f"/p/{pid}/").get_data(as_text=True)
    assert "Léa Martin" in page and re.search(r"\([0-9]{1,2}\u00a0mois\)", page)  # under 2: in months
    # The other parent sees nothing until it is shared, then manages it fully.
    assert paul.get(f"/p/{pid}/").status_code == 404
    resp = claire.post(f"/p/{pid}/owners", {"email": "paul@example.fr", "relation": "parent"})
    assert resp.status_code == 302
    assert "Léa Martin" in paul.get("/").get_data(as_text=True)
    assert paul.get(f"/p/{pid}/caregivers").status_code == 200
    resp = paul.post(f"/p/{pid}/edit", _child(first_name="Léa", last_name="Martin-Durand"))
    assert resp.status_code == 302
    assert "Léa Martin-Durand" in claire.get(f"/p/{pid}/").get_data(as_text=True)


def test_a_wrong_ins_is_refused_with_a_plain_message_and_a_right_one_is_kept(app, ctx):
    claire = registered(app, "claire")
    resp = claire.post("/profiles/new", _child(ins="2 95 10 99 126 111 94"))
    assert resp.status_code == 400
    assert "pas un numéro de sécurité sociale (INS) valide" in resp.get_data(as_text=True)
    with ctx():
        assert db.session.scalar(select(Profile).where(Profile.first_name == "Léa")) is None
    assert claire.post("/profiles/new", _child(ins=VALID_INS)).status_code == 302
    with ctx():
        assert db.session.scalar(select(Profile.ins).where(Profile.first_name == "Léa")) == "295109912611193"


def test_a_profile_created_by_a_parent_is_for_a_minor(app, ctx):
    claire = registered(app, "claire")
    resp = claire.post("/profiles/new", _child(birth_date="1990-01-01"))
    assert resp.status_code == 400 and "moins de 18\u00a0ans" in resp.get_data(as_text=True)
    resp = claire.post("/profiles/new", _child(birth_date="2999-01-01"))
    assert resp.status_code == 400 and "pas dans le futur" in resp.get_data(as_text=True)


def test_an_adult_profile_cannot_get_a_co_owner(app, ctx):
    louis = registered(app, "louis")
    registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    resp = louis.post(f"/p/{pid}/owners", {"email": "sophie@example.fr", "relation": "guardian"})
    assert resp.status_code == 400 and "Invitez plutôt un aidant" in resp.get_data(as_text=True)


def test_the_switcher_opens_only_profiles_one_may_see(app, ctx):
    claire = registered(app, "claire")
    claire.post("/profiles/new", _child())
    stranger = registered(app, email="x@example.fr", name="Xavier Inconnu")
    with ctx():
        pid = db.session.scalar(select(Profile.id).where(Profile.first_name == "Léa"))
    own = claire.get(f"/p/{own_profile_id(ctx, 'claire')}/").get_data(as_text=True)
    assert "Passer à un autre profil" in own and "Léa Martin" in own
    resp = claire.get(f"/profiles/switch?to={pid}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/p/{pid}/")
    assert stranger.get(f"/profiles/switch?to={pid}").status_code == 404


def test_age_counts_birthdays():
    assert profiles.age(date(2026, 7, 10), date(2026, 11, 23)) == 0
    assert profiles.age(date(1959, 5, 4), date(2026, 5, 3)) == 66
    assert profiles.age(date(1959, 5, 4), date(2026, 5, 4)) == 67


def test_ins_accepts_spaces_and_refuses_garbage():
    assert profiles.clean_ins("") is None
    assert profiles.clean_ins(VALID_INS) == "295109912611193"
    for bad in ("123", "2951099126111XX", "295109912611194"):
        try:
            profiles.clean_ins(bad)
        except ServiceError as exc:
            assert exc.field == "ins"
        else:
            raise AssertionError(bad)


def test_a_parent_stops_sharing_and_the_last_owner_stays(app, ctx):
    claire = registered(app, "claire")
    paul = registered(app, "paul")
    claire.post("/profiles/new", _child())
    with ctx():
        pid = db.session.scalar(select(Profile.id).where(Profile.first_name == "Léa"))
    claire.post(f"/p/{pid}/owners", {"email": "paul@example.fr", "relation": "parent"})
    with ctx():
        links = dict(db.session.execute(select(ProfileOwner.user_id, ProfileOwner.id).where(
            ProfileOwner.profile_id == pid)).all())
        paul_id = db.session.scalar(select(ProfileOwner.user_id).where(ProfileOwner.profile_id == pid,
                                                                       ProfileOwner.relation == "parent")
                                    .order_by(ProfileOwner.id.desc()))
    page = claire.get(f"/p/{pid}/owners").get_data(as_text=True)
    assert "Ne plus partager avec Paul Martin" in page
    resp = claire.post(f"/p/{pid}/owners/{links[paul_id]}/remove", from_url=f"/p/{pid}/owners")
    assert resp.status_code == 302
    assert paul.get(f"/p/{pid}/").status_code == 404
    claire_link = next(v for k, v in links.items() if k != paul_id)
    resp = claire.post(f"/p/{pid}/owners/{claire_link}/remove", from_url=f"/p/{pid}/owners")
    assert resp.status_code == 409 and "au moins une personne qui le gère" in resp.get_data(as_text=True)
    assert "a cessé de partager la gestion du profil avec «\u00a0Paul Martin\u00a0»" in claire.get(
        f"/p/{pid}/access-log").get_data(as_text=True)
