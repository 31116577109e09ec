"""A child growing up, on a moved clock: told 3 months before the teen age (parents, home page and
e-mail), the teen's single-use login code, the teen hiding documents and choosing what the parents see,
the parents narrowed from the teen age, and at majority the profile the young adult's alone (the parents'
access ended, or kept as caregivers when the young adult chose so). Every step in the access log. And a
teen and a parent acting at the same moment leave one consistent outcome."""

import re
import secrets
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from companion.commands import family as family_job
from companion.extensions import db
from companion.models.account import User
from companion.models.audit import AccessEvent
from companion.models.delegation import Delegation
from companion.models.document import Document
from companion.models.family import TeenCode
from companion.models.mail import OutgoingMail
from companion.models.profile import Profile, ProfileOwner
from companion.services import ServiceError, teen_codes
from companion.services.access import find_access

from .cast import make_person, make_profile, registered, signed_in

BIRTH = date(2011, 6, 10)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _child(ctx):
    with ctx():
        claire = make_person("claire", with_birth=True)
        lea = make_profile(claire, "Léa", "Martin", birth_date=BIRTH, sex="F")
        db.session.commit()
        return claire.id, lea.id


def _log(ctx, pid):
    with ctx():
        return [(e.action, e.actor_role) for e in db.session.scalars(
            select(AccessEvent).where(AccessEvent.profile_id == pid).order_by(AccessEvent.id))]


def _stage(ctx, pid):
    with ctx():
        return db.session.get(Profile, pid).stage


def _mails(ctx):
    with ctx():
        return [(m.recipient, m.kind, m.body) for m in db.session.scalars(select(OutgoingMail)
                                                                          .order_by(OutgoingMail.id))]


def _documents(ctx, pid):
    """Two documents of Léa's; she hides the second one from her parents."""
    with ctx():
        ids = []
        for i, hidden in enumerate((None, datetime.now(UTC))):
            doc = Document(profile_id=pid, type_code="11502-2", class_code="11", title=f"Compte rendu {i}",
                           source="", size=10, sha256=secrets.token_hex(32), content_type="application/pdf",
                           storage_key=secrets.token_hex(16), wrapped_key="-", origin="upload",
                           hidden_at=hidden)
            db.session.add(doc)
            db.session.flush()
            ids.append(doc.id)
        db.session.commit()
        return ids


def _joins(app, ctx, claire: int, lea: int, now: datetime | None = None) -> int:
    """Léa gets her own account and joins with a code her parent makes at `now` (after the teen notice
    unless a stage was already reached); her account's id."""
    with ctx():
        teen_id = make_person("anna", email="lea@example.fr", name="Léa Martin").id
        db.session.commit()
    if now is None:
        family_job.job(app, at(date(2026, 3, 10)))
    with app.test_request_context():
        parent = db.session.get(User, claire)
        code = teen_codes.make(find_access(parent, lea), parent, now=now)
        db.session.commit()
        teen_codes.claim(db.session.get(User, teen_id), code, now=now)
        db.session.commit()
    return teen_id


def test_a_child_crosses_the_teen_age_and_majority_with_every_step_told_and_logged(app, ctx):
    claire, lea = _child(ctx)
    parent = signed_in(app.test_client(), claire)
    # Four months before 15: nothing yet.
    assert family_job.job(app, at(date(2026, 2, 9))) == 0 and _stage(ctx, lea) == ""
    # Three months before: the parents are told, in the app and by e-mail (no health detail in it).
    assert family_job.job(app, at(date(2026, 3, 10))) == 1 and _stage(ctx, lea) == "teen_soon"
    assert family_job.job(app, at(date(2026, 3, 10), 11)) == 0  # once only
    mails = _mails(ctx)
    assert [(r, k) for r, k, _ in mails] == [("claire@example.fr", "teen_soon_parent")]
    assert "Léa" in mails[0][2] and "10\u00a0juin\u00a02026" in mails[0][2]
    assert "vaccin" not in mails[0][2].lower()
    home = parent.get("/").get_data(as_text=True)
    assert "Léa grandit" in home and f"/p/{lea}/growing-up" in home
    # The parent makes the teen's login code, shown once on the page, stored hashed.
    resp = parent.post(f"/p/{lea}/growing-up/code", {}, from_url=f"/p/{lea}/growing-up")
    assert resp.status_code == 302
    page = parent.get(f"/p/{lea}/growing-up").get_data(as_text=True)
    code = re.search(r'class="code">([A-Z0-9-]+)<', page).group(1)
    assert "France Services" in page
    with ctx():
        assert db.session.scalar(select(TeenCode.code_hash)) != code.replace("-", "")
    # Léa makes her own account and types the code: the profile is hers too; her empty one is gone.
    teen = registered(app, "anna", email="lea@example.fr", name="Léa Martin")
    resp = teen.post("/family/join", {"code": code.lower()})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/p/{lea}/growing-up")
    with ctx():
        teen_id = db.session.scalar(select(User.id).where(User.email == "lea@example.fr"))
        assert db.session.get(Profile, lea).user_id == teen_id
        assert db.session.scalar(select(Profile).where(Profile.user_id == teen_id)).id == lea
        owned = db.session.scalars(select(ProfileOwner.profile_id).where(ProfileOwner.user_id == teen_id))
        assert owned.all() == [lea]  # the empty profile her new account was given is gone, with its owner row
    assert teen.post("/family/join", {"code": code}).status_code == 400  # single use
    # Léa is told in the app what comes, and when.
    own_home = teen.get("/").get_data(as_text=True)
    assert "Ton espace santé devient le tien" in own_home
    assert "À partir du 10\u00a0juin\u00a02026, tu choisis" in own_home
    # Before 15 her parents still see everything.
    shown, hidden = _documents(ctx, lea)
    assert parent.get(f"/p/{lea}/documents/{hidden}").status_code == 200
    # At 15: the parents' view narrows to what Léa agrees to: the agenda by default.
    assert family_job.job(app, at(date(2026, 6, 10))) == 1 and _stage(ctx, lea) == "teen"
    assert ("lea@example.fr", "teen_now_teen") in {(r, k) for r, k, _ in _mails(ctx)}
    assert parent.get(f"/p/{lea}/agenda").status_code == 200
    assert parent.get(f"/p/{lea}/documents").status_code == 404
    assert parent.get(f"/p/{lea}/growing-up").status_code == 404  # she decides now, not them
    assert "Léa choisit maintenant ce que vous voyez" in parent.get("/").get_data(as_text=True)
    # Léa lets them see her documents too, except the one she hid.
    teen.post(f"/p/{lea}/growing-up/parents", {"scopes": ["agenda", "documents:read"]},
              from_url=f"/p/{lea}/growing-up")
    listing = parent.get(f"/p/{lea}/documents").get_data(as_text=True)
    assert "Compte rendu 0" in listing and "Compte rendu 1" not in listing
    assert parent.get(f"/p/{lea}/documents/{hidden}").status_code == 404
    assert parent.get(f"/p/{lea}/documents/{shown}").status_code == 200
    # Three months before 18: both told. At 18: the profile is hers alone, her parents' access ended.
    assert family_job.job(app, at(date(2029, 3, 10))) == 1 and _stage(ctx, lea) == "adult_soon"
    assert {(r, k) for r, k, _ in _mails(ctx)} >= {("claire@example.fr", "adult_soon"),
                                                   ("lea@example.fr", "adult_soon")}
    assert family_job.job(app, at(date(2029, 6, 10))) == 1 and _stage(ctx, lea) == "adult"
    assert {(r, k) for r, k, _ in _mails(ctx)} >= {("claire@example.fr", "adult_now_parent"),
                                                   ("lea@example.fr", "adult_now_teen")}
    assert parent.get(f"/p/{lea}/agenda").status_code == 404
    assert teen.get(f"/p/{lea}/documents/{hidden}").status_code == 200
    with ctx():
        assert db.session.scalars(select(ProfileOwner.user_id).where(ProfileOwner.profile_id == lea)).all() \
            == [teen_id]
    steps = [a for a, _role in _log(ctx, lea) if a.startswith("family.")]
    assert steps == ["family.teen_soon", "family.code_made", "family.teen_joined", "family.teen",
                     "family.parents_narrowed", "family.parents_scopes", "family.adult_soon", "family.adult",
                     "family.parent_ended"]
    # The parents' reads from the teen age on are in Léa's log, as a parent's.
    assert ("agenda.view", "parent") in _log(ctx, lea)


def test_a_young_adult_who_chose_so_keeps_a_parent_as_a_caregiver(app, ctx):
    claire, lea = _child(ctx)
    teen_id = _joins(app, ctx, claire, lea)
    family_job.job(app, at(date(2026, 6, 10)))
    web = signed_in(app.test_client(), teen_id)
    web.post(f"/p/{lea}/growing-up/parents", {"scopes": ["agenda"], "keep_parents": "y"},
             from_url=f"/p/{lea}/growing-up")
    family_job.job(app, at(date(2029, 6, 10)))
    with ctx():
        d = db.session.scalar(select(Delegation).where(Delegation.profile_id == lea))
        assert d.caregiver_id == claire and d.scopes == "agenda" and d.accepted_at is not None
    parent = signed_in(app.test_client(), claire)
    assert parent.get(f"/p/{lea}/agenda").status_code == 200
    assert parent.get(f"/p/{lea}/documents").status_code == 404
    assert "family.parent_kept" in [a for a, _ in _log(ctx, lea)]


def test_a_parent_cannot_choose_for_the_teen_nor_use_the_code(app, ctx):
    claire, lea = _child(ctx)
    family_job.job(app, at(date(2026, 3, 10)))
    parent = signed_in(app.test_client(), claire)
    parent.post(f"/p/{lea}/growing-up/code", {}, from_url=f"/p/{lea}/growing-up")
    code = re.search(r'class="code">([A-Z0-9-]+)<', parent.get(f"/p/{lea}/growing-up")
                     .get_data(as_text=True)).group(1)
    resp = parent.post("/family/join", {"code": code})
    assert resp.status_code == 400 and "pour votre enfant" in resp.get_data(as_text=True)
    resp = parent.post(f"/p/{lea}/growing-up/parents", {"scopes": ["agenda", "documents:read"]},
                       from_url=f"/p/{lea}/growing-up")
    assert resp.status_code == 403
    assert parent.post("/family/join", {"code": "AAAA-BBBB-CCCC"}).status_code == 400


def test_too_early_for_a_code(app, ctx):
    claire, lea = _child(ctx)
    parent = signed_in(app.test_client(), claire)
    with ctx():
        own = db.session.scalar(select(Profile.id).where(Profile.user_id == claire))
    assert "Rien ne change pour ce profil" in parent.get(f"/p/{own}/growing-up").get_data(as_text=True)
    resp = parent.post(f"/p/{lea}/growing-up/code", {}, from_url=f"/p/{lea}/growing-up")
    assert resp.status_code == 409
    assert "trois mois avant" in resp.get_data(as_text=True)


def _race_once(app, claire_id, teen_id, lea):
    with app.test_request_context():
        claire = db.session.get(User, claire_id)
        code = teen_codes.make(find_access(claire, lea), claire)
        db.session.commit()
    start, outcome = threading.Barrier(2), {}

    def teen_claims():
        with app.test_request_context():
            start.wait()
            try:
                teen_codes.claim(db.session.get(User, teen_id), code)
                db.session.commit()
                outcome["teen"] = "ok"
            except ServiceError:
                db.session.rollback()
                outcome["teen"] = "refused"
            finally:
                db.session.remove()

    def parent_renews():
        with app.test_request_context():
            parent = db.session.get(User, claire_id)
            access = find_access(parent, lea)
            start.wait()
            try:
                teen_codes.make(access, parent)
                db.session.commit()
                outcome["parent"] = "ok"
            except ServiceError:
                db.session.rollback()
                outcome["parent"] = "refused"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=teen_claims), threading.Thread(target=parent_renews)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome


@pytest.mark.parametrize("rounds", [6])
def test_a_teen_using_the_code_while_a_parent_makes_a_new_one_leaves_one_outcome(app, ctx, rounds):
    for i in range(rounds):
        with ctx():
            claire = make_person("claire", email=f"claire{i}@example.fr")
            teen = make_person("anna", email=f"teen{i}@example.fr")
            lea = make_profile(claire, "Léa", "Martin", birth_date=BIRTH, stage="teen_soon")
            db.session.commit()
            ids = claire.id, teen.id, lea.id
        outcome = _race_once(app, *ids)
        with ctx():
            profile = db.session.get(Profile, ids[2])
            codes = db.session.scalars(select(TeenCode).where(TeenCode.profile_id == ids[2])).all()
            usable = [c for c in codes if c.used_at is None and c.revoked_at is None]
            if outcome["teen"] == "ok":  # the teen came first: the parent was refused, no code left
                assert outcome["parent"] == "refused", outcome
                assert profile.user_id == ids[1] and usable == []
                assert [c.used_by_id for c in codes if c.used_at] == [ids[1]]
            else:  # the parent came first: the old code is cancelled, the teen refused, a new code waits
                assert outcome == {"teen": "refused", "parent": "ok"}, outcome
                assert profile.user_id is None and len(usable) == 1
                assert all(c.used_at is None for c in codes)
            owners = db.session.scalars(select(ProfileOwner.relation).where(
                ProfileOwner.profile_id == ids[2])).all()
            assert sorted(owners) == (["parent", "self"] if outcome["teen"] == "ok" else ["parent"])


def test_parents_get_no_reminders_and_no_family_agenda_entry_once_the_teen_hides_the_agenda(app, ctx):
    from companion.services import reminders
    from companion.services.delivery_rows import managers

    claire, lea = _child(ctx)
    teen_id = _joins(app, ctx, claire, lea)
    family_job.job(app, at(date(2026, 6, 10)))
    now = at(date(2026, 6, 11))
    with ctx():
        assert reminders.recipients(lea, now) == sorted([claire, teen_id])  # the agenda, by default
    signed_in(app.test_client(), teen_id).post(f"/p/{lea}/growing-up/parents", {},
                                               from_url=f"/p/{lea}/growing-up")
    with ctx():
        assert db.session.get(Profile, lea).parent_scopes == ""
        assert reminders.recipients(lea, now) == [teen_id]
        assert managers([lea], now)[lea] == {teen_id}
    parent = signed_in(app.test_client(), claire)
    assert "Léa" not in parent.get("/family").get_data(as_text=True)
    assert parent.get(f"/p/{lea}/agenda").status_code == 404
    assert parent.get(f"/p/{lea}/").status_code == 200  # still sees that the profile exists, and its name


# Where the family lives, and midnight there in UTC: Guadeloupe is 4 hours behind UTC, Réunion 4 ahead.
PLACES = {"America/Guadeloupe": timedelta(hours=4), "Indian/Reunion": timedelta(hours=-4)}


@pytest.mark.parametrize("place", PLACES)
def test_each_stage_begins_at_midnight_where_the_family_lives(app, ctx, place):
    """The notice and the teen age come on the child's days as lived at home, not on Paris's: in
    Guadeloupe, Paris's midnight is 7 pm the day before; in Réunion, 2 am."""
    claire, lea = _child(ctx)
    with ctx():
        db.session.get(User, claire).timezone = place
        db.session.commit()
    for day, stage in ((date(2026, 3, 10), "teen_soon"), (date(2026, 6, 10), "teen")):
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) + PLACES[place]
        assert family_job.job(app, midnight - timedelta(minutes=30)) == 0, (place, stage)
        assert family_job.job(app, midnight + timedelta(minutes=30)) == 1 and _stage(ctx, lea) == stage


def test_an_adults_profile_with_a_guardian_never_moves(app, ctx):
    """A profile made for an adult (a guardian manages it) is not a child growing up."""
    with ctx():
        claire = make_person("claire", with_birth=True)
        louis = make_profile(claire, "Louis", "Bernard", birth_date=date(1959, 5, 4), relation="guardian")
        db.session.commit()
        pid, claire_id = louis.id, claire.id
    assert family_job.job(app, at(date(2026, 12, 1))) == 0
    assert _stage(ctx, pid) == "" and _log(ctx, pid) == []
    with ctx():
        owner = db.session.scalar(select(ProfileOwner.user_id).where(ProfileOwner.profile_id == pid))
        assert owner == claire_id


def test_a_teen_at_france_services_types_the_code_during_a_guided_session(app, ctx):
    from .test_onboarding_flow import consent_and_create, join, mediator_browser, start_session

    claire, lea = _child(ctx)
    family_job.job(app, at(date(2026, 3, 10)))
    with app.test_request_context():
        code = teen_codes.make(find_access(db.session.get(User, claire), lea), db.session.get(User, claire))
        db.session.commit()
    mediator, _mid = mediator_browser(app)
    session_code, _sid = start_session(mediator)
    teen = join(app, session_code)
    consent_and_create(teen, email="lea@example.fr")
    step = teen.get("/onboarding/step/family").get_data(as_text=True)
    link = re.search(r'href="(/family/join\?next=[^"]+)"', step).group(1).replace("&amp;", "&")
    assert "J’ai un code d’accès donné par mes parents" in step
    resp = teen.post(link, {"code": code}, from_url=link)
    assert resp.status_code == 302 and "/onboarding/step/family" in resp.headers["Location"]
    with ctx():
        teen_id = db.session.scalar(select(User.id).where(User.email == "lea@example.fr"))
        assert db.session.get(Profile, lea).user_id == teen_id
    assert "family.teen_joined" in [a for a, _ in _log(ctx, lea)]


def test_a_share_the_parents_made_ends_when_the_teen_age_narrows_them(app, ctx):
    from companion.models.share import ClinicianShare
    from companion.services import shares

    claire, lea = _child(ctx)
    with ctx():
        teen_id = make_person("anna", email="lea@example.fr", name="Léa Martin").id
        db.session.commit()
    family_job.job(app, at(date(2026, 3, 10)))
    with app.test_request_context():
        parent = db.session.get(User, claire)
        code = teen_codes.make(find_access(parent, lea), parent)
        teen_codes.claim(db.session.get(User, teen_id), code)
        made = shares.create(find_access(parent, lea), parent, card=True, document_ids=[], vaccinations=True,
                             lifetime="7d", cost=(1, 1024))
        db.session.commit()
        share_id = made.share.id
    # Dates are the family job's moved clock; the share's own lifetime is real time.
    family_job.job(app, at(date(2026, 6, 10)))
    with ctx():
        assert db.session.get(ClinicianShare, share_id).revoked_at is not None
    assert ("share.ended_with_access", "system") in _log(ctx, lea)


def test_a_young_adult_without_a_login_leaves_the_profile_with_the_parents_until_they_join(app, ctx):
    """Nobody could reach the profile if the parents' access ended with no login to take it over."""
    claire, lea = _child(ctx)
    family_job.job(app, at(date(2026, 3, 10)))  # the teen notice; no code is ever made
    family_job.job(app, at(date(2026, 6, 10)))
    family_job.job(app, at(date(2029, 6, 10)))
    assert _stage(ctx, lea) == "adult"
    parent = signed_in(app.test_client(), claire)
    assert parent.get(f"/p/{lea}/documents").status_code == 200  # still theirs: nobody else has it
    page = parent.get(f"/p/{lea}/growing-up").get_data(as_text=True)
    assert "n’a pas encore d’identifiant" in page
    assert ("claire@example.fr", "adult_waiting_parent") in {(r, k) for r, k, _ in _mails(ctx)}
    # A year and a half later the parent makes a code (valid a month) and the young adult joins.
    teen_id = _joins(app, ctx, claire, lea, now=at(date(2030, 12, 1)))
    with ctx():
        assert db.session.scalars(select(ProfileOwner.user_id).where(ProfileOwner.profile_id == lea)).all() \
            == [teen_id]  # hers alone now
    assert parent.get(f"/p/{lea}/documents").status_code == 404
    steps = [a for a, _role in _log(ctx, lea) if a.startswith("family.")]
    assert steps[-5:] == ["family.adult_waiting", "family.code_made", "family.teen_joined", "family.adult",
                          "family.parent_ended"]


def test_a_parent_the_teen_lets_see_documents_sees_and_ends_the_shares_she_makes(app, ctx):
    """A parent's access narrowed by the teen has no delegation: the shares she makes still show on her
    list and page (they once led to a 404 right after being made), and no other parent's do."""
    from companion.models.share import ClinicianShare

    claire, lea = _child(ctx)
    teen_id = _joins(app, ctx, claire, lea)
    family_job.job(app, at(date(2026, 6, 10)))  # the teen age: the parents see what Léa agrees to
    with ctx():
        paul = make_person("paul")
        db.session.add(ProfileOwner(profile_id=lea, user_id=paul.id, relation="parent"))
        db.session.commit()
        paul_id = paul.id
    with app.test_request_context():
        teen = db.session.get(User, teen_id)
        teen_codes.set_parent_view(find_access(teen, lea), teen, ["agenda", "documents:read"], False)
        db.session.commit()
    parent = signed_in(app.test_client(), claire)
    resp = parent.post(f"/p/{lea}/shares", {"vaccinations": "y", "lifetime": "1d"},
                       from_url=f"/p/{lea}/shares")
    assert resp.status_code == 302
    made = parent.get(resp.headers["Location"])
    assert made.status_code == 200
    assert re.search(r'<code id="share-code">[0-9A-Z-]+</code>', made.get_data(as_text=True))
    with ctx():
        share_id = db.session.scalar(select(ClinicianShare.id))
    assert f"/p/{lea}/shares/{share_id}" in parent.get(f"/p/{lea}/shares").get_data(as_text=True)
    other = signed_in(app.test_client(), paul_id)
    assert f"/p/{lea}/shares/{share_id}" not in other.get(f"/p/{lea}/shares").get_data(as_text=True)
    assert other.get(f"/p/{lea}/shares/{share_id}").status_code == 404
    teen_browser = signed_in(app.test_client(), teen_id)
    assert f"/p/{lea}/shares/{share_id}" in teen_browser.get(f"/p/{lea}/shares").get_data(as_text=True)
    ended = parent.post(f"/p/{lea}/shares/{share_id}/revoke", from_url=f"/p/{lea}/shares")
    assert ended.status_code == 302
    with ctx():
        assert db.session.get(ClinicianShare, share_id).revoked_at is not None
