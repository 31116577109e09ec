"""Bringing a health summary in: the round trip (a card and its vaccinations exported as IPS, then
brought into another profile, gives the same allergies, medicines, illnesses and vaccinations), the
review (what is new, what is there already, untick to leave out), and hostile files refused whole
with a message that says why and nothing written."""

import copy
import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from companion.extensions import db
from companion.models.account import User
from companion.models.agenda import AgendaItem
from companion.models.audit import AccessEvent
from companion.models.emergency import EmergencyCard
from companion.models.profile import Profile
from companion.services import emergency_card, ips
from companion.services.access import find_access

from .cast import make_profile
from .export_support import CARD, DOSES, fill_profile

CLAIRE = "claire@example.fr"


def _other_profile(app) -> int:
    """A second profile Claire manages (her mother's, born 1950), empty."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == CLAIRE))
        pid = make_profile(user, "Jeanne", "Martin", relation="guardian", birth_date=date(1950, 2, 1)).id
        db.session.commit()
        return pid


def _bundle(app, pid: int) -> dict:
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == CLAIRE))
        return json.loads(ips.checked_json(find_access(user, pid), with_immunizations=True))


def _send(web, pid: int, content: bytes, name="summary.json"):
    return web.post(f"/p/{pid}/import", {"file": (io.BytesIO(content), name)}, from_url=f"/p/{pid}/import",
                    content_type="multipart/form-data")


def _confirm(web, pid: int, review_html: str, keep: list[int] | None = None):
    plan = re.search(r'name="plan"[^>]*value="([^"]+)"', review_html) or re.search(
        r'value="([^"]+)"[^>]*name="plan"', review_html)
    boxes = [int(v) for v in re.findall(r'name="keep" value="(\d+)"', review_html)]
    data = {"plan": plan.group(1), "keep": [str(i) for i in (boxes if keep is None else keep)]}
    return web.post(f"/p/{pid}/import/confirm", data, from_url=f"/p/{pid}/import")


def _state(app, pid: int):
    with app.app_context():
        card = emergency_card.snapshot(db.session.get(Profile, pid), db.session.get(EmergencyCard, pid))
        doses = {r.rule_id: r.done_on for r in db.session.scalars(
            select(AgendaItem).where(AgendaItem.profile_id == pid, AgendaItem.done_on.is_not(None)))}
        return {k: card[k] for k in ("allergies", "treatments", "conditions", "notes")}, doses


def test_round_trip_same_allergies_medicines_illnesses_and_vaccinations(app, web, claire):
    fill_profile(app, claire, CLAIRE)
    other = _other_profile(app)
    content = json.dumps(_bundle(app, claire)).encode()
    review = _send(web, other, content)
    html = review.get_data(as_text=True)
    assert review.status_code == 200 and "6 nouvelles lignes à ajouter" in html
    assert "Allergie, sur la carte d’urgence" in html and "dTcaPolio rappel 25 ans" in html
    assert "Ce résumé concerne Claire Martin." in html  # another person's: the page says so
    assert "Cette date de naissance n’est pas celle de Jeanne Martin." in html
    with app.app_context():  # nothing is written by the review
        assert db.session.get(EmergencyCard, other) is None
    done = _confirm(web, other, html)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/p/{other}/emergency")
    source, source_doses = _state(app, claire)
    copied, copied_doses = _state(app, other)
    assert copied == source and copied["allergies"] == CARD["allergies"].split("\n")
    assert copied_doses == source_doses == DOSES
    again = _send(web, other, content).get_data(as_text=True)  # nothing is added twice
    assert "Rien de nouveau" in again and "Déjà dans le profil" in again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccessEvent).where(
            AccessEvent.profile_id == other, AccessEvent.action == "ips.imported")) == 1


def test_unticked_lines_are_left_out_and_unknown_vaccines_go_to_the_notes(app, web, claire):
    bundle = {"resourceType": "Bundle", "type": "document", "entry": [
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient"}},
        {"fullUrl": "urn:uuid:2", "resource": {
            "resourceType": "AllergyIntolerance", "patient": {"reference": "urn:uuid:1"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91936005",
                                 "display": "Allergy to penicillin"}]}}},
        {"fullUrl": "urn:uuid:3", "resource": {
            "resourceType": "MedicationStatement", "status": "active", "subject": {"reference": "urn:uuid:1"},
            "medicationCodeableConcept": {"text": "Metformine 500 mg"}}},
        {"fullUrl": "urn:uuid:4", "resource": {
            "resourceType": "Immunization", "status": "completed", "patient": {"reference": "urn:uuid:1"},
            "vaccineCode": {"text": "Fièvre jaune"}, "occurrenceDateTime": "2012-04-02"}},
        {"fullUrl": "urn:uuid:5", "resource": {
            "resourceType": "Immunization", "status": "completed", "patient": {"reference": "urn:uuid:1"},
            "vaccineCode": {"text": "Grippe saisonnière"}, "occurrenceDateTime": "2024-10-20"}},
        {"fullUrl": "urn:uuid:6", "resource": {
            "resourceType": "AllergyIntolerance", "patient": {"reference": "urn:uuid:1"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips",
                                 "code": "no-known-allergies"}]}}},
    ]}
    with_bom = "\ufeff".encode() + json.dumps(bundle).encode()  # as some Windows software writes it
    html = _send(web, claire, with_bom).get_data(as_text=True)
    assert "4 nouvelles lignes à ajouter" in html
    assert "Vaccin, dans les notes de la carte d’urgence" in html  # yellow fever: not in the agenda
    lines = re.findall(r'name="keep" value="(\d+)"', html)
    _confirm(web, claire, html, keep=[int(i) for i in lines if i != "1"])  # not the medicine
    card, doses = _state(app, claire)
    assert card["allergies"] == ["Allergy to penicillin"] and card["treatments"] == []
    assert "Fièvre jaune (2012-04-02)" in card["notes"]
    assert doses == {"ADU_FLU": date(2024, 10, 20)}  # matched by the agenda's own wording


def _minimal(**resource):
    return {"resourceType": "Bundle", "type": "document", "entry": [
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient"}},
        {"fullUrl": "urn:uuid:2", "resource": {"resourceType": "AllergyIntolerance",
                                               "patient": {"reference": "urn:uuid:1"}, **resource}}]}


def _deep(levels: int) -> bytes:
    head = '{"resourceType": "Bundle", "type": "document", "x": '
    return (head + "[" * levels + "]" * levels + "}").encode()


HOSTILE = {
    "too big": (b'{"resourceType": "Bundle", "type": "document", "x": "' + b"a" * (1024 * 1024 + 10) + b'"}',
                413, "trop gros"),
    "deeply nested": (_deep(200), 400, "trop de niveaux"),
    "not json": (b"\x89PNG\r\n\x1a\n not a summary", 400, "n’est pas un résumé de santé"),
    "not a bundle": (json.dumps({"resourceType": "Patient"}).encode(), 400, "n’est pas un résumé de santé"),
    "a list": (b"[1, 2, 3]", 400, "n’est pas un résumé de santé"),
    "wrong bundle type": (json.dumps({**_minimal(code={"text": "x"}), "type": "collection"}).encode(), 400,
                          "ce n’est pas un résumé"),
    "missing patient": (json.dumps({"resourceType": "Bundle", "type": "document", "entry": [
        {"resource": {"resourceType": "AllergyIntolerance", "code": {"text": "x"}}}]}).encode(), 400,
        "Il manque quelque chose"),
    "unknown resource": (json.dumps({"resourceType": "Bundle", "type": "document", "entry": [
        {"resource": {"resourceType": "Spaceship", "code": {"text": "x"}}}]}).encode(), 400,
        "Il manque quelque chose"),
    "no name": (json.dumps(_minimal(code={"coding": [{"system": "http://snomed.info/sct"}]})).encode(), 400,
                "n’a pas de nom"),
    "too long": (json.dumps(_minimal(code={"text": "a" * 201})).encode(), 400, "trop longue"),
    "html": (json.dumps(_minimal(code={"text": "<img src=x onerror=alert(1)>"})).encode(), 400,
             "code de page web"),
    "entity": (json.dumps(_minimal(code={"text": "pollen &lt;b&gt;"})).encode(), 400, "code de page web"),
    "control character": (json.dumps(_minimal(code={"text": "pollen\u0000"})).encode(), 400,
                          "caractère caché"),
    "bidi override": (json.dumps(_minimal(code={"text": "pollen\u202e"})).encode(), 400, "caractère caché"),
    "empty": (json.dumps({"resourceType": "Bundle", "type": "document", "entry": []}).encode(), 400,
              "est vide"),
}


def _thousands() -> bytes:
    bundle = _minimal(code={"text": "x"})
    entry = bundle["entry"][1]
    bundle["entry"] += [copy.deepcopy(entry) for _ in range(3000)]
    return json.dumps(bundle).encode()


@pytest.mark.parametrize("case", [*HOSTILE, "thousands of entries"])
def test_hostile_summaries_are_refused_whole(app, web, claire, case):
    content, status, words = HOSTILE.get(case) or (_thousands(), 400, "trop de lignes")
    resp = _send(web, claire, content)
    html = resp.get_data(as_text=True)
    assert resp.status_code == status, html[:500]
    assert words in html, html[html.find("error"):][:400]
    with app.app_context():
        assert db.session.get(EmergencyCard, claire) is None
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)) == 0


def test_a_forged_or_foreign_review_is_refused(app, web, claire):
    other = _other_profile(app)
    bundle = _minimal(code={"text": "Pollen"})
    html = _send(web, claire, json.dumps(bundle).encode()).get_data(as_text=True)
    plan = re.search(r'value="([^"]+)"[^>]*name="plan"|name="plan"[^>]*value="([^"]+)"', html)
    token = plan.group(1) or plan.group(2)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for pid, value in ((claire, forged), (other, token)):  # tampered; made for another profile
        resp = web.post(f"/p/{pid}/import/confirm", {"plan": value, "keep": ["0"]},
                        from_url=f"/p/{pid}/import")
        assert resp.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EmergencyCard)) == 0


def test_a_card_without_room_takes_nothing_not_even_the_vaccinations(app, web, claire):
    bundle = _minimal(code={"text": "allergie 0"})
    for i in range(1, 25):
        extra = copy.deepcopy(bundle["entry"][1])
        extra["resource"]["code"]["text"] = f"allergie {i}"
        bundle["entry"].append(extra)
    bundle["entry"].append({"resource": {
        "resourceType": "Immunization", "status": "completed", "patient": {"reference": "urn:uuid:1"},
        "vaccineCode": {"coding": [{"system": ips.RULE_SYSTEM, "code": "ADU_FLU"}]},
        "occurrenceDateTime": "2024-10-20"}})
    html = _send(web, claire, json.dumps(bundle).encode()).get_data(as_text=True)
    resp = _confirm(web, claire, html)
    assert resp.status_code == 400 and "pas la place" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EmergencyCard, claire) is None
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)) == 0


def test_caregivers_cannot_import(app, web, claire, ctx):
    from .documents_support import as_caregiver

    as_caregiver(web, ctx, claire, "documents:write agenda")
    assert web.get(f"/p/{claire}/import").status_code == 404
