"""A CDA whose patient number (INS) differs from the profile's (issue 14): the warning names the
problem and the person confirms without choosing the file a second time."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.profile import Profile
from tests.documents_support import cda

from .conftest import axe_check, register
from .contrast import assert_contrast

pytestmark = pytest.mark.e2e


def test_a_cda_for_another_ins_is_confirmed_without_choosing_the_file_again(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == unique_email))
        profile = db.session.scalar(select(Profile).where(Profile.user_id == user.id))
        profile.ins, pid = "279035121518989", profile.id
        db.session.commit()
    page.goto(f"{base}/p/{pid}/documents/import")
    expect(page.get_by_label("Je confirme que ce document concerne cette personne")).to_be_hidden()
    page.get_by_label("Fichier CDA (.xml)").set_input_files(
        files=[{"name": "cr.xml", "mimeType": "text/xml", "buffer": cda(ins="253072A07300443")}])
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("alert")).to_contain_text("n’est pas celui de Anna Petit")
    expect(page.get_by_role("alert")).to_contain_text("appuyez de nouveau sur « Importer »")
    axe_check(page)
    assert_contrast(page)
    page.get_by_label("Je confirme que ce document concerne cette personne").check()
    page.get_by_role("button", name="Importer").click()  # the file is still chosen
    page.wait_for_url(re.compile(r".*/documents/\d+$"))
    expect(page.get_by_role("heading", name="Ordonnance & suivi")).to_be_visible()
