"""The emergency card: owners edit it in everyday words, caregivers who read documents see it, hostile
text is shown as text, and its IPS export is a FHIR Bundle that the R4B model accepts."""

import json

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from companion.extensions import db
from companion.models.account import UserSession
from companion.models.audit import AccessEvent
from companion.web import sw_contract as swc

from .cast import delegate, make_person, sign_up, signed_in, sync_token
from .documents_support import PDF, _empty_document_store, doc_id, upload  # noqa: F401

CARD = {"allergies": "pénicilline (plaques rouges)\n\n  iode  ", "treatments": "Kardegic 75 mg le matin",
        "conditions": "diabète de type 2", "blood_group": "A+", "devices": "pacemaker",
        "contacts": "Sophie Bernard, fille, 06 12 34 56 78", "languages": "français, créole",
        "gp": "Dr Lemoine, 05 55 00 00 00", "directives": "dans mes documents", "notes": "vit seul"}


def _fill(web, pid, **changes):
    return web.post(f"/p/{pid}/emergency/edit", {**CARD, **changes}, from_url=f"/p/{pid}/emergency/edit")


def test_owner_fills_the_card_and_reads_it_back(web, ctx):
    pid = sign_up(web, ctx, "louis")
    assert "Cette carte est encore vide" in web.get(f"/p/{pid}/emergency").get_data(as_text=True)
    resp = _fill(web, pid)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/p/{pid}/emergency")
    page = web.get(f"/p/{pid}/emergency").get_data(as_text=True)
    assert "<li>pénicilline (plaques rouges)</li>" in page and "<li>iode</li>" in page
    assert "Kardegic 75 mg le matin" in page and "A+" in page and "Dr Lemoine" in page
    assert f'href="/p/{pid}/emergency"' in web.get(f"/p/{pid}/").get_data(as_text=True)  # from the profile


def test_hostile_and_oversized_text_is_escaped_or_refused(web, ctx):
    pid = sign_up(web, ctx, "louis")
    _fill(web, pid, allergies='<script>alert(1)</script>\n"><img src=x onerror=alert(2)>')
    page = web.get(f"/p/{pid}/emergency").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    resp = _fill(web, pid, allergies="\n".join(f"allergie {i}" for i in range(25)), blood_group="A+")
    assert resp.status_code == 400 and "Au plus 20 lignes" in resp.get_data(as_text=True)
    resp = _fill(web, pid, blood_group="Z")
    assert resp.status_code == 400 and "groupe sanguin" in resp.get_data(as_text=True)
    # Nothing half-written: the card still holds the first version.
    assert "&lt;script&gt;" in web.get(f"/p/{pid}/emergency").get_data(as_text=True)


def test_a_caregiver_who_reads_documents_sees_the_card_and_it_is_logged(app, web, ctx):
    pid = sign_up(web, ctx, "louis")
    _fill(web, pid)
    with ctx():
        sophie = make_person("sophie")
        db.session.commit()
        sophie_id = sophie.id
    delegate(ctx, pid, "sophie", "documents:read")
    helper = signed_in(app.test_client(), sophie_id)
    page = helper.get(f"/p/{pid}/emergency").get_data(as_text=True)
    assert "pénicilline" in page and "Modifier la carte" not in page
    assert helper.get(f"/p/{pid}/emergency/edit").status_code == 404
    with ctx():
        query = select(AccessEvent.action).where(AccessEvent.actor_id == sophie_id)
        actions = list(db.session.scalars(query))
    assert "emergency.view" in actions
    log = web.get(f"/p/{pid}/access-log").get_data(as_text=True)
    assert "a consulté la carte d" in log


def _ips(web, pid) -> Bundle:
    resp = web.get(f"/p/{pid}/emergency/ips.json")
    assert resp.status_code == 200 and resp.mimetype == "application/fhir+json"
    assert "attachment" in resp.headers["Content-Disposition"]
    return Bundle.model_validate(json.loads(resp.get_data(as_text=True)))  # raises on what R4B refuses


def _sections(bundle: Bundle) -> dict:
    composition = bundle.entry[0].resource
    assert composition.get_resource_type() == "Composition"
    assert composition.type.coding[0].code == "60591-5" and composition.status == "final"
    return {s.code.coding[0].code: s for s in composition.section}


def test_the_ips_export_is_an_ips_document_whose_composition_lists_the_sections(web, ctx):
    pid = sign_up(web, ctx, "louis")
    _fill(web, pid)
    bundle = _ips(web, pid)
    assert bundle.type == "document" and bundle.identifier.value and bundle.timestamp
    by_url = {e.fullUrl: e.resource for e in bundle.entry}
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds.count("AllergyIntolerance") == 2 and "MedicationStatement" in kinds and "Condition" in kinds
    sections = _sections(bundle)
    # Allergies, medications, problems, advance directives (the card mentions them: no document yet).
    assert list(sections) == ["48765-2", "10160-0", "11450-4", "42348-3"]
    allergies = [by_url[e.reference] for e in sections["48765-2"].entry]
    assert [a.code.text for a in allergies] == ["pénicilline (plaques rouges)", "iode"]
    medication = by_url[sections["10160-0"].entry[0].reference]
    assert medication.medicationCodeableConcept.text.startswith("Kardegic")
    assert by_url[sections["11450-4"].entry[0].reference].code.text == "diabète de type 2"
    assert "dans mes documents" in sections["42348-3"].text.div and not sections["42348-3"].entry
    patient = by_url[bundle.entry[0].resource.subject.reference]
    assert patient.name[0].given == ["Louis"] and patient.contact[0].name.text.startswith("Sophie")
    assert {a.patient.reference for a in allergies} == {bundle.entry[0].resource.subject.reference}


def test_the_advance_directives_section_points_to_the_document(web, ctx):
    pid = sign_up(web, ctx, "louis")
    _fill(web, pid, directives="")
    assert "42348-3" not in _sections(_ips(web, pid))  # nothing to say: no section
    resp = upload(web, pid, PDF, type_code="EXPPAT_3", title="Mes directives <anticipées>")
    assert resp.status_code == 302
    bundle = _ips(web, pid)
    section = _sections(bundle)["42348-3"]
    ref = next(e.resource for e in bundle.entry if e.fullUrl == section.entry[0].reference)
    assert ref.get_resource_type() == "DocumentReference"
    assert ref.content[0].attachment.title.startswith("Mes")
    assert "&lt;anticipées&gt;" in section.text.div  # the title is text, not markup
    # The document in the trash: the section goes with it.
    assert web.post(f"/p/{pid}/documents/{doc_id(resp)}/delete", {}).status_code in (302, 303)
    assert "42348-3" not in _sections(_ips(web, pid))


def test_an_empty_card_is_still_an_ips_document_with_empty_sections_said_so(web, ctx):
    pid = sign_up(web, ctx, "louis")
    sections = _sections(_ips(web, pid))
    assert list(sections) == ["48765-2", "10160-0", "11450-4"]
    assert all(s.emptyReason and not s.entry for s in sections.values())


def _louis_and_sophie(app, web, ctx, scopes="documents:read"):
    pid = sign_up(web, ctx, "louis")
    _fill(web, pid)
    with ctx():
        sophie_id = make_person("sophie").id
        db.session.commit()
    delegate(ctx, pid, "sophie", scopes)
    return pid, signed_in(app.test_client(), sophie_id), sophie_id


def test_the_manifest_lists_the_card_for_the_owner_and_a_reading_caregiver_with_its_version(app, web, ctx):
    pid, helper, _ = _louis_and_sophie(app, web, ctx)
    mine = json.loads(web.get("/offline/manifest.json").get_data(as_text=True))["cards"]
    assert [c["url"] for c in mine] == [f"/p/{pid}/emergency", f"/p/{pid}/counter"]
    theirs = json.loads(helper.get("/offline/manifest.json").get_data(as_text=True))["cards"]
    assert mine[0] in theirs  # beside the card of her own profile
    page = web.get(f"/p/{pid}/emergency")
    assert page.headers[swc.OFFLINE_CACHE] == "1" and page.headers[swc.CARD_VERSION] == mine[0]["version"]
    _fill(web, pid, allergies="arachide")  # a changed card has a new version: the worker fetches it again
    again = json.loads(helper.get("/offline/manifest.json").get_data(as_text=True))["cards"]
    assert [c for c in again if c["url"] == mine[0]["url"]][0]["version"] != mine[0]["version"]


def test_no_card_for_a_caregiver_without_documents_nor_on_a_shared_computer(app, web, ctx):
    pid, helper, sophie_id = _louis_and_sophie(app, web, ctx, scopes="agenda")
    cards = json.loads(helper.get("/offline/manifest.json").get_data(as_text=True))["cards"]
    assert f"/p/{pid}/emergency" not in [c["url"] for c in cards]
    assert helper.get(f"/p/{pid}/emergency").status_code == 404
    with ctx():
        for s in db.session.scalars(select(UserSession)):
            s.shared_device = True
        db.session.commit()
    assert "cards" not in json.loads(web.get("/offline/manifest.json").get_data(as_text=True))


def _actions(ctx, actor_id) -> list[str]:
    with ctx():
        return list(db.session.scalars(select(AccessEvent.action).where(AccessEvent.actor_id == actor_id)))


def test_the_workers_copy_is_logged_as_a_copy_not_as_an_opening(app, web, ctx):
    """One line for each page the sync copies: the owner read "copied the emergency card" twice when the
    counter screen came with it."""
    pid, helper, sophie_id = _louis_and_sophie(app, web, ctx)
    token = sync_token(helper)
    helper.get(f"/p/{pid}/emergency", headers={swc.COPY_TOKEN: token})
    helper.get(f"/p/{pid}/counter", headers={swc.COPY_TOKEN: token})
    actions = _actions(ctx, sophie_id)
    assert actions.count("emergency.copied_offline") == 1 and actions.count("counter.copied_offline") == 1
    assert "emergency.view" not in actions and "counter.view" not in actions
    log = web.get(f"/p/{pid}/access-log").get_data(as_text=True)
    assert log.count("a copié la carte d’urgence sur son téléphone") == 1, log
    assert log.count("a copié l’écran pour le comptoir de la pharmacie sur son téléphone") == 1, log


def test_a_caregiver_cannot_pass_a_look_at_the_card_off_as_the_workers_copy(app, web, ctx):
    """The header alone, a forged token or one given to another device is a look like any other."""
    pid, helper, sophie_id = _louis_and_sophie(app, web, ctx)
    other_phone = signed_in(app.test_client(), sophie_id)
    forged = "x" + sync_token(helper)[1:]
    for token in ("", "1", forged, sync_token(other_phone)):
        helper.get(f"/p/{pid}/emergency", headers={swc.COPY_TOKEN: token})
        helper.get(f"/p/{pid}/counter", headers={swc.COPY_TOKEN: token})
    actions = _actions(ctx, sophie_id)
    assert actions.count("emergency.view") == 4 and actions.count("counter.view") == 4, actions
    assert "emergency.copied_offline" not in actions
