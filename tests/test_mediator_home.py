"""A mediator lands on their tools and finds them from "My account" (issue 14)."""

from companion.extensions import db
from companion.models.account import User

from .cast import make_profile, mediator_browser


def test_a_mediator_with_no_health_profile_lands_on_their_tools(app):
    mediator, _ = mediator_browser(app)
    resp = mediator.get("/")
    assert resp.status_code == 302 and resp.location.endswith("/mediators/")
    page = mediator.get("/mediators/").get_data(as_text=True)
    assert "Start a help session" in page or "Commencer" in page


def test_my_account_links_to_the_mediator_tools(app):
    mediator, _ = mediator_browser(app)
    page = mediator.get("/account/security/").get_data(as_text=True)
    assert 'href="/mediators/"' in page


def test_a_mediator_account_never_shows_a_health_space_and_says_how_to_switch(app):
    """Mediators never see health data (services/access.py), even a profile linked to their account:
    switching to one's own space is logging in with one's personal account, and the page says so."""
    mediator, user_id = mediator_browser(app)
    with app.app_context():
        make_profile(db.session.get(User, user_id), first_name="Inès", last_name="Benali")
        db.session.commit()
    assert mediator.get("/").location.endswith("/mediators/")
    page = mediator.get("/mediators/").get_data(as_text=True)
    assert "Inès" not in page and 'id="own-space"' in page


def test_a_person_sees_no_mediator_link(app, web):
    web.register()
    assert 'href="/mediators/"' not in web.get("/").get_data(as_text=True)
    assert 'href="/mediators/"' not in web.get("/account/security/").get_data(as_text=True)
