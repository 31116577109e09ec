"""Bringing a health summary in: an IPS (a FHIR R4 Bundle of type "document", as services/ips.py makes
it or as other health software does) read into plain lines, reviewed by the person, then added in one
transaction: allergies, medicines and illnesses onto the emergency card, vaccinations onto the agenda
as done when the agenda knows them (services/ips.py's rule codes, or the agenda's own wording), the
other vaccinations into the card's notes.

Hostile or broken files are refused whole, with a message that says why, before anything is written:
too big, not a summary, the wrong kind of bundle, too many entries, missing names, lines longer than
the card holds, markup where a name should be. (Deep nesting and hidden characters are refused by the
input layer, web/inputs.py, before this module reads anything.)"""

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import db
from ..models.account import User
from ..prevention import load_rules
from ..texts import lazy_gettext as _l
from . import ServiceError, agenda_store, audit, emergency_card
from .access import Access, AccessDenied
from .ips import RULE_SYSTEM

MAX_BYTES = 1024 * 1024
MAX_ENTRIES = 500
REVIEW_SECONDS = 3600  # how long a review page may wait before its confirmation is refused
CARD_KINDS = {"AllergyIntolerance": "allergies", "MedicationStatement": "treatments",
              "MedicationRequest": "treatments", "Condition": "conditions"}
# IPS says "no known allergies", "no information"... with these codes: nothing to add.
ABSENT = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips"
NOT_REAL = {"entered-in-error", "refuted", "not-done", "cancelled", "stopped"}
MARKUP = re.compile(r"<\s*[!?/a-zA-Z]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
NOT_READABLE = _l("This file is not a health summary that Companion can read (an IPS file, in JSON). "
                  "Nothing was added.")


@dataclass(frozen=True)
class Line:
    kind: str  # allergies | treatments | conditions | vaccine (agenda) | vaccine_note (card notes)
    text: str
    rule_id: str = ""
    on: str = ""  # the vaccination's date, ISO

    def as_list(self) -> list[str]:
        return [self.kind, self.text, self.rule_id, self.on]


def _refuse(message, status: int = 400) -> ServiceError:
    return ServiceError(message, status, field="file")


@dataclass(frozen=True)
class About:
    """Whom the summary says it is about, for the person to check it is the right profile."""
    name: str = ""
    birth_date: date | None = None


def about(raw: bytes) -> About:
    """Read after `read` accepted the file (so it is a valid bundle)."""
    data = json.loads(raw.decode("utf-8-sig"))  # a BOM, as some Windows software writes
    patient = next((e["resource"] for e in data["entry"]
                    if (e.get("resource") or {}).get("resourceType") == "Patient"), None)
    if patient is None:
        return About()
    names = patient.get("name") or [{}]
    name = names[0].get("text") or " ".join([*names[0].get("given", []), names[0].get("family", "")]).strip()
    try:
        born = date.fromisoformat(patient.get("birthDate") or "")
    except ValueError:
        born = None
    return About(_clean(name)[:120] if name else "", born)


def check_size(raw: bytes) -> None:
    if len(raw) > MAX_BYTES:
        raise _refuse(_l("This file is too big for a health summary: the limit is 1 MB. Nothing was added."),
                      413)


def read(raw: bytes) -> list[Line]:
    """The lines of a summary file, or a refusal that says what is wrong with it."""
    check_size(raw)
    try:
        data = json.loads(raw.decode("utf-8-sig"))  # a BOM, as some Windows software writes
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _refuse(NOT_READABLE) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise _refuse(NOT_READABLE)
    if data.get("type") != "document":
        raise _refuse(_l("This file holds health data, but it is not a summary (its kind is not "
                         "“document”). Nothing was added."))
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise _refuse(_l("This summary is empty. Nothing was added."))
    if len(entries) > MAX_ENTRIES:
        raise _refuse(_l("This summary has too many lines (%(n)s; at most %(max)s). Nothing was added.",
                         n=len(entries), max=MAX_ENTRIES))
    _validate(data)
    by_url = {e.get("fullUrl"): e.get("resource") for e in entries if isinstance(e, dict)}
    lines: list[Line] = []
    for entry in entries:
        line = _line(entry.get("resource") or {}, by_url)
        if line is not None and line not in lines:
            lines.append(line)
    return lines


def _validate(data: dict) -> None:
    """The FHIR models check every resource's shape and required fields (fhir.resources, R4B)."""
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(data)
    # Any failure of the models means the file cannot be read safely: pydantic's ValidationError, and
    # KeyError for an unknown resourceType (fhir_core looks its type up), among others.
    except Exception:
        raise _refuse(_l("Something is missing or wrong in this summary, so it cannot be read safely. "
                         "Nothing was added.")) from None


def _concept_text(concept) -> str | None:
    """What a coded concept says in words; None for "no known...", "no information"."""
    if not isinstance(concept, dict):
        return ""
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    if any(c.get("system") == ABSENT for c in codings):
        return None
    return concept.get("text") or next((c.get("display") or c.get("code") for c in codings
                                        if c.get("display") or c.get("code")), "")


def _status(resource: dict) -> str:
    status = resource.get("status") or ""
    for field in ("verificationStatus", "clinicalStatus"):
        codings = (resource.get(field) or {}).get("coding") or []
        status += " " + " ".join(c.get("code", "") for c in codings if isinstance(c, dict))
    return status


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if MARKUP.search(text):
        raise _refuse(_l("This summary holds web page code (HTML or XML) where a name should be. It was "
                         "refused: nothing was added."))
    if len(text) > emergency_card.MAX_LINE:
        raise _refuse(_l("A line of this summary is too long (more than %(n)s characters). Nothing was "
                         "added.", n=emergency_card.MAX_LINE))
    return text


def _line(resource: dict, by_url: dict) -> Line | None:
    kind = resource.get("resourceType")
    if kind not in CARD_KINDS and kind != "Immunization":
        return None  # the patient, the composition, blood group, devices: not brought in
    if set(_status(resource).split()) & NOT_REAL:
        return None
    if kind == "Immunization":
        return _vaccine(resource)
    concept = resource.get("code")
    if kind.startswith("Medication"):
        concept = resource.get("medicationCodeableConcept")
        ref = (resource.get("medicationReference") or {}).get("reference")
        if concept is None and ref in by_url:
            concept = (by_url[ref] or {}).get("code")
    text = _concept_text(concept)
    if text is None:
        return None
    if not text.strip():
        raise _refuse(_l("A line of this summary has no name. Nothing was added."))
    return Line(CARD_KINDS[kind], _clean(text))


def _vaccine(resource: dict) -> Line | None:
    concept = resource.get("vaccineCode") or {}
    text = _concept_text(concept)
    if text is None:
        return None
    if not text.strip():
        raise _refuse(_l("A line of this summary has no name. Nothing was added."))
    text = _clean(text)
    on = str(resource.get("occurrenceDateTime") or "")[:10]
    try:
        date.fromisoformat(on)
    except ValueError:
        on = ""  # "2019", "in childhood": kept in words only
    rule_id = _rule_for(concept, text)
    if rule_id and on:
        return Line("vaccine", text, rule_id, on)
    when = on or str(resource.get("occurrenceString") or resource.get("occurrenceDateTime") or "")[:40]
    return Line("vaccine_note", _clean(f"{text} ({when})" if when else text))


def _rule_for(concept: dict, text: str) -> str:
    """The agenda line of a vaccination: by Companion's own code, or by the agenda's wording."""
    rules = load_rules()
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and coding.get("system") == RULE_SYSTEM and coding.get("code") in rules:
            return coding["code"]
    words = text.casefold()
    return next((r.id for r in rules.values() if r.kind == "vaccine"
                 and words in (r.label_en.casefold(), r.label_fr.casefold())), "")


@dataclass
class Review:
    new: list[Line]
    already: list[Line]
    not_placed: list[Line]  # a vaccination whose date is in the future or before the birth date


def review(access: Access, lines: list[Line], today: date) -> Review:
    """What would be added, what is there already (nothing is added twice)."""
    if not access.allows("manage"):
        raise AccessDenied(None, access.profile.id, "manage", access.role)
    card = emergency_card.snapshot(access.profile, emergency_card.get(access))
    history = agenda_store.history_of(access.profile.id)
    birth = access.profile.birth_date
    result = Review([], [], [])
    for line in lines:
        if line.kind == "vaccine":
            on = date.fromisoformat(line.on)
            if on > today or (birth is not None and on < birth):
                result.not_placed.append(line)
                continue
            done = history.get(line.rule_id)
            there = done is not None and done.done_on == on
        elif line.kind == "vaccine_note":
            there = line.text.casefold() in card["notes"].casefold()
        else:
            there = line.text.casefold() in {t.casefold() for t in card[line.kind]}
        (result.already if there else result.new).append(line)
    return result


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="companion-ips-import")


def pack(access: Access, actor: User, lines: list[Line]) -> str:
    """The reviewed lines, signed, for the confirmation form (nothing is stored in between)."""
    return _serializer().dumps({"p": access.profile.id, "u": actor.id, "l": [x.as_list() for x in lines]})


def unpack(access: Access, actor: User, token: str) -> list[Line]:
    try:
        data = _serializer().loads(token, max_age=REVIEW_SECONDS)
    except BadSignature:
        raise ServiceError(_l("This review is too old. Please choose the file again."), 400) from None
    if data.get("p") != access.profile.id or data.get("u") != actor.id:
        raise ServiceError(_l("This review is too old. Please choose the file again."), 400)
    return [Line(*item) for item in data["l"]]


def apply(access: Access, actor: User, chosen: list[Line], today: date) -> int:
    """Add the chosen lines that are still new, in the caller's one transaction. Returns how many."""
    fresh = review(access, chosen, today).new
    card_lines = [x for x in fresh if x.kind not in ("vaccine",)]
    if card_lines:
        _add_to_card(access, actor, card_lines)
    for line in fresh:
        if line.kind == "vaccine":
            agenda_store.mark_done(access, actor, line.rule_id, date.fromisoformat(line.on), today)
    if fresh:
        audit.record(actor=actor, actor_role=access.role, action="ips.imported", profile_id=access.profile.id,
                     object_label=str(len(fresh)))
    db.session.flush()
    return len(fresh)


def _add_to_card(access: Access, actor: User, lines: list[Line]) -> None:
    card = emergency_card.snapshot(access.profile, emergency_card.get(access))
    fields: dict[str, Any] = {f: "\n".join(card[f]) for f in emergency_card.LIST_FIELDS}
    fields |= {f: card[f] for f in (*emergency_card.TEXT_FIELDS, *emergency_card.LINE_FIELDS)}
    for line in lines:
        target = "notes" if line.kind == "vaccine_note" else line.kind
        fields[target] = "\n".join(x for x in (fields[target], line.text) if x)
    try:
        emergency_card.update(access, actor, blood_group=card["blood_group"], **fields)
    except ServiceError:
        raise ServiceError(_l("The emergency card has no room for all of this (at most %(n)s lines of each "
                              "kind, and %(c)s characters of notes). Untick some lines and try again. "
                              "Nothing was added.", n=emergency_card.MAX_LINES, c=emergency_card.MAX_TEXT),
                           400) from None
