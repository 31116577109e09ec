"""Offline copies follow access: when a caregiver's delegation ends, the copy of the person's agenda
kept on the caregiver's phone goes at the next page the phone loads."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from companion.extensions import db
from companion.models.delegation import Delegation
from companion.models.types import utcnow
from companion.services import accounts

from .conftest import login, wait_for_service_worker

pytestmark = pytest.mark.e2e


def _father_and_daughter(app, daughter_email, scopes="agenda"):
    with app.app_context():
        cost = (app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"])
        father = accounts.register(f"pere-{daughter_email}", "une phrase facile", "Louis Bernard", cost=cost)
        daughter = accounts.register(daughter_email, "une phrase facile", "Sophie Bernard", cost=cost)
        profile = accounts.own_profile(father)
        delegation = Delegation(
            profile_id=profile.id, caregiver_id=daughter.id, granted_by_id=father.id, scopes=scopes,
            accepted_at=utcnow(), expires_at=utcnow() + timedelta(days=30),
        )
        db.session.add(delegation)
        db.session.commit()
        return profile.id, delegation.id


def _saved_copy_shown(page, url) -> bool:
    page.goto(url)
    return page.locator("#offline-notice").is_visible()


def test_an_ended_delegation_removes_the_saved_agenda_from_the_caregivers_phone(
        page, context, live_server, unique_email):
    base, app = live_server.url, live_server.app
    profile_id, delegation_id = _father_and_daughter(app, unique_email)
    agenda = f"{base}/p/{profile_id}/agenda"
    login(page, base, unique_email)
    page.goto(agenda)
    wait_for_service_worker(page)
    page.reload()  # now under the worker: it keeps a copy for this account
    expect(page.get_by_text("Louis Bernard").first).to_be_visible()

    context.set_offline(True)
    assert _saved_copy_shown(page, agenda), "the agenda should open offline while the delegation runs"
    context.set_offline(False)

    with app.app_context():
        db.session.get(Delegation, delegation_id).revoked_at = utcnow()
        db.session.commit()
    page.goto(f"{base}/")  # any page online tells the worker what this account still reaches
    context.set_offline(True)
    page.goto(agenda)
    expect(page.get_by_role("heading", name="Vous êtes hors connexion")).to_be_visible()
    assert "Louis Bernard" not in page.content()
    context.set_offline(False)


def test_taking_the_documents_away_removes_the_saved_pharmacy_page_too(page, context, live_server,
                                                                       unique_email):
    """The pharmacy counter page shows the current prescription: kept offline for a caregiver who reads
    the documents, it goes when the owner keeps the agenda only, like every page of a kind the worker
    was not told to keep for that scope."""
    base, app = live_server.url, live_server.app
    profile_id, delegation_id = _father_and_daughter(app, unique_email, scopes="agenda documents:read")
    counter, agenda = f"{base}/p/{profile_id}/counter", f"{base}/p/{profile_id}/agenda"
    login(page, base, unique_email)
    page.goto(counter)
    wait_for_service_worker(page)
    page.reload()
    page.goto(agenda)
    context.set_offline(True)
    assert _saved_copy_shown(page, counter) and _saved_copy_shown(page, agenda)
    context.set_offline(False)

    with app.app_context():
        db.session.get(Delegation, delegation_id).scopes = "agenda"
        db.session.commit()
    page.goto(f"{base}/")
    context.set_offline(True)
    page.goto(counter)
    expect(page.get_by_role("heading", name="Vous êtes hors connexion")).to_be_visible()
    assert "Louis Bernard" not in page.content()
    assert _saved_copy_shown(page, agenda)  # the agenda is still theirs to see
    context.set_offline(False)
