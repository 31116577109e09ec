"""Reading CDA R2 level 1 files (an XML header around a base64 PDF), with defusedxml: no DTD, no
entity, no external reference is ever resolved (XXE and billion laughs are refused)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import date

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from ..models.profile import Profile
from ..texts import lazy_gettext as _l
from . import ServiceError, sniff

NS = {"h": "urn:hl7-org:v3"}
INS_OIDS = {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10"}

MALFORMED = _l("This file is not a readable CDA document. Please check you chose the right file.")


@dataclass
class CdaDocument:
    type_code: str
    title: str
    care_date: date | None
    source: str
    ins: str | None
    pdf: bytes


def parse(data: bytes) -> CdaDocument:
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ServiceError(_l("This file asks to read other files. We refuse it, for your safety."), 422,
                           field="file") from None
    except (ParseError, ValueError, SyntaxError):
        raise ServiceError(MALFORMED, 422, field="file") from None
    if root.tag != "{urn:hl7-org:v3}ClinicalDocument":
        raise ServiceError(MALFORMED, 422, field="file")
    code = root.find("h:code", NS)
    return CdaDocument(
        type_code=(code.get("code") if code is not None else "") or "",
        title=_text(root.find("h:title", NS)),
        care_date=_care_date(root),
        source=_author(root),
        ins=_ins(root),
        pdf=_pdf(root),
    )


def _text(node) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _parse_ts(value: str | None) -> date | None:
    if not value or len(value) < 8 or not value[:8].isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _care_date(root) -> date | None:
    # The date of the act when given, else the document's own date.
    for path in ("h:documentationOf/h:serviceEvent/h:effectiveTime/h:low",
                 "h:documentationOf/h:serviceEvent/h:effectiveTime", "h:effectiveTime"):
        node = root.find(path, NS)
        found = _parse_ts(node.get("value")) if node is not None else None
        if found:
            return found
    return None


def _author(root) -> str:
    author = root.find("h:author/h:assignedAuthor", NS)
    if author is None:
        return ""
    name = author.find("h:assignedPerson/h:name", NS)
    parts = []
    if name is not None:
        given = " ".join(_text(g) for g in name.findall("h:given", NS))
        family = " ".join(_text(f) for f in name.findall("h:family", NS))
        suffix = _text(name.find("h:suffix", NS))
        person = " ".join(p for p in ("Dr" if suffix.upper() == "DR" else "", given, family) if p)
        if person:
            parts.append(person)
    org = _text(author.find("h:representedOrganization/h:name", NS))
    if org:
        parts.append(org)
    return ", ".join(parts)[:200]


def _ins(root) -> str | None:
    for node in root.findall("h:recordTarget/h:patientRole/h:id", NS):
        if node.get("root") in INS_OIDS and node.get("extension"):
            return node.get("extension").strip()
    return None


def _pdf(root) -> bytes:
    text = root.find("h:component/h:nonXMLBody/h:text", NS)
    if text is None or text.get("mediaType") != "application/pdf" or text.get("representation") != "B64":
        raise ServiceError(_l("This CDA document carries no PDF. Only documents with a PDF inside can be "
                              "imported."), 422, field="file")
    try:
        pdf = base64.b64decode("".join((text.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise ServiceError(_l("The PDF inside this CDA document is damaged."), 422, field="file") from None
    if not pdf:
        raise ServiceError(_l("This CDA document carries no PDF. Only documents with a PDF inside can be "
                              "imported."), 422, field="file")
    damaged = ServiceError(_l("The PDF inside this CDA document is damaged."), 422, field="file")
    try:
        kind = sniff.detect(pdf)
    except ServiceError:
        raise damaged from None
    if kind != sniff.PDF:
        raise damaged
    return pdf


def identity_warning(profile: Profile, parsed: CdaDocument):
    """None when the file's patient INS matches the profile's; otherwise why the person must confirm
    before the import, naming which side has no INS (most profiles have none: it is not the file's fault)."""
    if not profile.ins:
        return _l("The profile of %(name)s has no patient number (INS), so we cannot check that this file "
                  "is about this person.", name=profile.full_name)
    if not parsed.ins:
        return _l("This file has no patient number (INS), so we cannot check that it is about %(name)s.",
                  name=profile.full_name)
    if parsed.ins != profile.ins:
        return _l("The patient number (INS) in this file is not the one of %(name)s.", name=profile.full_name)
    return None
