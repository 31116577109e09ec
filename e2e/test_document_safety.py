"""A PDF that tries to run a script when it opens, opened the way a person does ("Ouvrir" on the
document's page), in a real Chromium: no dialog, the document's page is shown in the viewer, nothing is
downloaded. The same bytes served as they are do raise the dialog here (the control), so the test can
fail. On a shared computer the page offers "Ouvrir" only, and opening leaves no file behind."""

import re

import pytest

from tests.hostile_pdf import open_action_alert as hostile_pdf  # one builder for unit and e2e tests

from .conftest import login, logout, register

pytestmark = pytest.mark.e2e


def _watch(page) -> dict:
    seen = {"dialogs": [], "downloads": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("download", lambda d: seen["downloads"].append(d.suggested_filename))
    return seen


def _upload(page, base) -> str:
    page.goto(f"{base}/")
    page.get_by_role("link", name="Documents").first.click()
    page.goto(page.url + "/upload")
    page.get_by_label("Fichier (PDF ou photo)").set_input_files(
        files=[{"name": "compte-rendu.pdf", "mimeType": "application/pdf", "buffer": hostile_pdf()}])
    page.get_by_label("Nom du document").fill("Compte rendu piégé")
    page.get_by_role("button", name="Ajouter le document").click()
    page.wait_for_url(re.compile(r".*/documents/\d+$"))
    return page.url


def _open(page, seen) -> None:
    with page.expect_response(re.compile(r"/documents/\d+/file$")) as answer:
        page.get_by_role("link", name=re.compile("^Ouvrir")).click()
    resp = answer.value
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    assert "attachment" not in resp.headers.get("content-disposition", "")
    page.wait_for_timeout(2500)  # the viewer loads and would run the script by now
    assert re.search(r"/documents/\d+/file$", page.url)  # the person sees the document itself
    assert seen["dialogs"] == [] and seen["downloads"] == []


def test_the_control_the_same_bytes_served_as_they_are_do_run(page, live_server):
    seen = _watch(page)
    page.route("**/control.pdf", lambda route: route.fulfill(
        status=200, content_type="application/pdf", body=hostile_pdf()))
    page.goto(f"{live_server.url}/control.pdf")
    for _ in range(20):
        if seen["dialogs"]:
            break
        page.wait_for_timeout(250)
    assert seen["dialogs"] == ["1"], "this Chromium ran no PDF script: the test below would prove nothing"


def test_opening_a_pdf_that_carries_a_script_runs_nothing(page, live_server, unique_email):
    base = live_server.url
    seen = _watch(page)
    register(page, base, unique_email)
    doc_url = _upload(page, base)
    _open(page, seen)

    # On a shared computer: "Ouvrir" only, a plain sentence, and opening still runs nothing.
    page.goto(f"{base}/")
    logout(page)
    login(page, base, unique_email, shared=True)
    page.wait_for_url(f"{base}/")
    page.goto(doc_url)
    assert page.get_by_role("link", name=re.compile("^Télécharger")).count() == 0
    assert page.get_by_text("n’est pas enregistré sur l’ordinateur").is_visible()
    _open(page, seen)
