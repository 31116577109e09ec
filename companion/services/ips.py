"""The emergency card as an International Patient Summary: a FHIR R4(B) Bundle of type "document" whose
first entry is a Composition (LOINC 60591-5) with the IPS sections a clinician's software looks for:
allergies, medications, problems (each present, empty ones saying so), and advance directives when the
card mentions them or the profile holds an advance directives document (the section then points to it).
Then the Patient, the resources the sections list, blood group and implanted devices."""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import escape
from sqlalchemy import select

from ..extensions import db
from ..models.agenda import AgendaItem
from ..models.document import Document
from ..models.emergency import EmergencyCard
from ..models.profile import Profile
from ..models.types import utcnow
from ..prevention import load_rules
from . import documents
from .access import Access
from .emergency_card import get, snapshot

# The namespace of the card's FHIR ids: the same card gives the same ids in every export.
FHIR_NS = uuid.UUID("6b3f1c1e-7f0e-4d1e-9a51-6d1f0c9e1a16")
LOINC = "http://loinc.org"
DIRECTIVES_TYPE = "EXPPAT_3"  # "Directives anticipées" in data/document-types.csv
# (card field, resource kind, LOINC section code, section title) in the IPS order.
SECTIONS = (("allergies", "allergy", "48765-2", "Allergies and intolerances"),
            ("treatments", "medication", "10160-0", "Medication summary"),
            ("conditions", "condition", "11450-4", "Problem list"))
# The agenda's own codes (prevention/rules.csv rule ids): another Companion reading the bundle puts each
# dose back on its agenda line; other software reads the text.
RULE_SYSTEM = "urn:companion:prevention-rule"
IMMUNIZATIONS = ("11369-6", "History of Immunization Narrative")
NO_INFO = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                       "code": "unavailable", "display": "Unavailable"}]}


def checked_json(access: Access, *, with_immunizations: bool = False) -> str:
    """The IPS document as JSON, parsed by the FHIR R4B models first: a bundle they refuse never leaves.
    `with_immunizations`: also the vaccinations the agenda records as done (the full export)."""
    from fhir.resources.R4B.bundle import Bundle  # imported here: only this download needs it

    doses = immunizations_of(access.profile.id) if with_immunizations else []
    bundle = fhir_bundle(access.profile, get(access), directives_document(access), immunizations=doses)
    Bundle.model_validate(bundle)
    return json.dumps(bundle, ensure_ascii=False, indent=1)


@dataclass(frozen=True)
class Dose:
    rule_id: str
    label: str
    done_on: date


def immunizations_of(profile_id: int) -> list[Dose]:
    """The vaccinations the agenda records as done (the person's own dates), oldest first."""
    rules = load_rules()
    rows = db.session.execute(select(AgendaItem.rule_id, AgendaItem.done_on).where(
        AgendaItem.profile_id == profile_id, AgendaItem.done_on.is_not(None))).all()
    doses = [Dose(rid, rules[rid].label_en, done) for rid, done in rows
             if done is not None and rid in rules and rules[rid].kind == "vaccine"]
    return sorted(doses, key=lambda d: (d.done_on, d.rule_id))


def directives_document(access: Access) -> Document | None:
    """The newest advance directives document this access sees (not in the trash, not hidden from it)."""
    return db.session.scalar(select(Document).where(*documents.visible_clause(access),
                                                    Document.type_code == DIRECTIVES_TYPE)
                             .order_by(Document.created_at.desc(), Document.id.desc()).limit(1))


def _ref(profile_id: int, kind: str, n: int = 0) -> str:
    return f"urn:uuid:{uuid.uuid5(FHIR_NS, f'{profile_id}/{kind}/{n}')}"


def _narrative(items: list[str]) -> dict:
    """Human-readable section text (every item escaped: the card's text is the person's own words)."""
    body = "".join(f"<li>{escape(i)}</li>" for i in items)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><ul>{body}</ul></div>'}


def _section(title: str, code: str, refs: list[str], texts: list[str]) -> dict:
    section: dict = {"title": title, "code": {"coding": [{"system": LOINC, "code": code}]}}
    if refs:
        section["text"] = _narrative(texts)
        section["entry"] = [{"reference": r} for r in refs]
    else:
        section["text"] = _narrative(["No information"])
        section["emptyReason"] = NO_INFO
    return section


def _patient(profile: Profile, card: dict) -> dict:
    patient: dict = {"resourceType": "Patient",
                     "name": [{"family": profile.last_name or None, "given": [profile.first_name],
                               "text": profile.full_name}]}
    if profile.birth_date:
        patient["birthDate"] = profile.birth_date.isoformat()
    if profile.sex:
        patient["gender"] = {"F": "female", "M": "male"}[profile.sex]
    if card["languages"]:
        patient["communication"] = [{"language": {"text": card["languages"]}}]
    if card["contacts"]:
        patient["contact"] = [{"relationship": [{"text": "emergency contact"}], "name": {"text": c}}
                              for c in card["contacts"]]
    if card["gp"]:
        patient["generalPractitioner"] = [{"display": card["gp"]}]
    if not patient["name"][0]["family"]:
        del patient["name"][0]["family"]
    return patient


def _listed(pid: int, data: dict, subject: dict) -> dict[str, list[tuple[str, dict]]]:
    """The resources of each IPS section, from the card's lines."""
    def make(kind: str, text: str) -> dict:
        if kind == "allergy":
            return {"resourceType": "AllergyIntolerance", "patient": subject, "code": {"text": text}}
        if kind == "medication":
            return {"resourceType": "MedicationStatement", "status": "active", "subject": subject,
                    "medicationCodeableConcept": {"text": text}}
        return {"resourceType": "Condition", "subject": subject, "code": {"text": text}}
    return {field: [(_ref(pid, kind, i), make(kind, t)) for i, t in enumerate(data[field])]
            for field, kind, _code, _title in SECTIONS}


def _directives(pid: int, data: dict, doc: Document | None) -> tuple[dict | None, list[tuple[str, dict]]]:
    """The advance directives section (the card's words; the document itself when there is one)."""
    if not data["directives"] and doc is None:
        return None, []
    res: list[tuple[str, dict]] = []
    if doc is not None:
        res.append((_ref(pid, "directives", doc.id), {
            "resourceType": "DocumentReference", "status": "current",
            "subject": {"reference": _ref(pid, "patient")},
            "type": {"coding": [{"system": LOINC, "code": "42348-3", "display": "Advance directives"}]},
            "content": [{"attachment": {"contentType": doc.content_type, "title": doc.title,
                                        "creation": doc.created_at.isoformat(timespec="seconds")}}]}))
    texts = [t for t in (data["directives"], doc.title if doc else "") if t]
    code = {"coding": [{"system": LOINC, "code": "42348-3"}]}
    section: dict = {"title": "Advance directives", "code": code, "text": _narrative(texts)}
    if res:
        section["entry"] = [{"reference": res[0][0]}]
    return section, res


def _immunizations(pid: int, doses: Sequence[Dose], subject: dict) -> tuple[dict | None, list]:
    if not doses:
        return None, []
    res = [(_ref(pid, "immunization", i), {
        "resourceType": "Immunization", "status": "completed", "patient": subject,
        "vaccineCode": {"coding": [{"system": RULE_SYSTEM, "code": d.rule_id, "display": d.label}],
                        "text": d.label},
        "occurrenceDateTime": d.done_on.isoformat()}) for i, d in enumerate(doses)]
    code, title = IMMUNIZATIONS
    return _section(title, code, [u for u, _r in res], [f"{d.label} ({d.done_on})" for d in doses]), res


def fhir_bundle(profile: Profile, card: EmergencyCard | None, directives: Document | None = None,
                now: datetime | None = None, immunizations: Sequence[Dose] = ()) -> dict:
    """The card as an IPS document Bundle, as JSON-ready data."""
    data = snapshot(profile, card)
    pid = profile.id
    at = (now or utcnow()).isoformat(timespec="seconds")
    subject = {"reference": _ref(pid, "patient")}
    listed = _listed(pid, data, subject)
    sections = [_section(title, code, [u for u, _r in listed[field]], data[field])
                for field, _kind, code, title in SECTIONS]
    section, directive_res = _directives(pid, data, directives)
    if section:
        sections.append(section)
    vaccines, vaccine_res = _immunizations(pid, immunizations, subject)
    if vaccines:
        sections.append(vaccines)
    extra = []
    if data["blood_group"]:
        extra.append((_ref(pid, "blood"), {
            "resourceType": "Observation", "status": "final", "subject": subject,
            "code": {"coding": [{"system": LOINC, "code": "882-1",
                                 "display": "ABO and Rh group [Type] in Blood"}]},
            "valueCodeableConcept": {"text": data["blood_group"]}}))
    for i, text in enumerate(data["devices"]):
        extra.append((_ref(pid, "device", i), {"resourceType": "DeviceUseStatement", "status": "active",
                                               "subject": subject, "device": {"display": text}}))
    composition = {
        "resourceType": "Composition", "status": "final", "date": at, "subject": subject,
        "type": {"coding": [{"system": LOINC, "code": "60591-5", "display": "Patient summary Document"}]},
        "title": f"Patient summary: {profile.full_name}", "author": [subject], "section": sections}
    entries = [(_ref(pid, "composition"), composition), (_ref(pid, "patient"), _patient(profile, data))]
    for field, *_rest in SECTIONS:
        entries += listed[field]
    entries += directive_res + vaccine_res + extra
    identity = _ref(pid, "bundle-" + card_stamp(card), directives.id if directives else 0)
    return {"resourceType": "Bundle", "type": "document", "timestamp": at,
            "identifier": {"system": "urn:ietf:rfc:3986", "value": identity},
            "entry": [{"fullUrl": url, "resource": res} for url, res in entries]}


def card_stamp(card: EmergencyCard | None) -> str:
    """The document's identity follows the card's version (and the directives document): the same card
    exports as the same document."""
    return card.updated_at.strftime("%Y%m%d%H%M%S") if card else "0"
