"""The mediator never sees health data: on the demo cast, the session page and its live status carry no
name, birth date or document title of the person; profile data routes refuse the mediator."""

from datetime import timedelta

from companion.extensions import db
from companion.models.account import User
from companion.models.onboarding import AssistedSession, AssistedStep, Structure
from companion.models.profile import Profile
from companion.models.types import utcnow

from .cast import give_key, signed_in


def _demo_session(app):
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["demo"]).exit_code == 0
        mediator = db.session.query(User).filter_by(role="mediator").one()
        give_key(mediator)
        nadia = db.session.query(User).filter_by(email="nadia@demo.companion.fr").one()
        structure = db.session.get(Structure, mediator.structure_id)
        now = utcnow()
        sess = AssistedSession(structure_id=structure.id, mediator_id=mediator.id, person_id=nadia.id,
                               code_expires_at=now, created_at=now, claimed_at=now, consent_at=now,
                               expires_at=now + timedelta(hours=1), ended_by="")
        sess.steps = [AssistedStep(name=n, status="done") for n in ("account", "key", "recovery", "profile")]
        db.session.add(sess)
        db.session.commit()
        profile = db.session.query(Profile).filter_by(user_id=nadia.id).one()
        secrets = {nadia.display_name, nadia.email, profile.first_name, profile.last_name}
        if profile.birth_date:
            secrets |= {profile.birth_date.isoformat(), profile.birth_date.strftime("%d/%m/%Y"), "1991"}
        try:
            from companion.models.document import Document
            secrets |= {d.title for d in db.session.query(Document).filter_by(profile_id=profile.id)}
        except ImportError:
            pass
        return mediator.id, sess.id, profile.id, secrets


def test_the_mediators_pages_show_no_name_date_or_document_of_the_demo_person(app):
    mediator_id, sid, profile_id, secrets = _demo_session(app)
    mediator = signed_in(app.test_client(), mediator_id)
    urls = [f"/mediators/sessions/{sid}", f"/mediators/sessions/{sid}/status.json", "/mediators/",
            "/mediators/activation", "/mediators/activation.csv"]
    pages = [mediator.get(url) for url in urls]
    for resp in pages:
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        for secret in secrets:
            assert secret and secret not in body, (resp.request.path, secret)
    assert "Fait" in pages[0].get_data(as_text=True)


def test_the_mediator_is_refused_on_the_persons_profile_routes(app):
    mediator_id, _sid, profile_id, secrets = _demo_session(app)
    mediator = signed_in(app.test_client(), mediator_id)
    candidates = [f"/p/{profile_id}/{tail}" for tail in
                  ("", "documents", "agenda", "caregivers", "onboarding/profile", "onboarding")]
    for url in candidates:
        resp = mediator.get(url)
        assert resp.status_code == 404, url
        assert not any(s in resp.get_data(as_text=True) for s in secrets), url


def test_the_person_finds_the_setup_steps_on_the_home_page(app, web):
    web.register()
    home = web.get("/").get_data(as_text=True)
    with app.app_context():
        profile_id = db.session.query(Profile.id).scalar()
    assert f"/p/{profile_id}/onboarding" in home and "Étapes de préparation" in home
    resp = web.get(f"/p/{profile_id}/onboarding")
    assert resp.status_code == 302
    assert "Il ne vous reste aucune étape" in web.get(resp.headers["Location"]).get_data(as_text=True)
