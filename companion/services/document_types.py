"""The document types of the national shared record (reference list copied to companion/data/),
shown by everyday names: the official codes are what is stored and exchanged, the official labels
("CR d'anatomie et de cytologie pathologiques") are shown only as a detail on a document's page."""

import csv
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from babel.dates import format_date

DATA = Path(__file__).resolve().parent.parent / "data" / "document-types.csv"

# The class labels exist in French only in the reference list; English ones are ours.
CLASS_LABELS_EN = {
    "10": "Reports", "11": "Summaries", "31": "X-rays and scans", "42": "Prescriptions",
    "43": "Medicines from the pharmacy", "44": "Care plans", "52": "Certificates and vaccines",
    "90": "My own documents",
}
CLASS_LABELS_FR = {
    "10": "Comptes rendus", "11": "Résumés", "31": "Radios et imagerie", "42": "Ordonnances",
    "43": "Médicaments de la pharmacie", "44": "Plans de soins", "52": "Certificats et vaccins",
    "90": "Mes documents",
}
OTHER = "EXPPAT_2"  # "Other document from the patient": the default when nothing else fits

# Everyday names (French, English) for every official code: what people call these papers.
PLAIN = {
    "11502-2": ("Prise de sang, analyses", "Blood test, lab results"),
    "11488-4": ("Compte rendu de consultation", "Report of a visit to the doctor"),
    "18748-4": ("Radio, scanner, IRM, échographie", "X-ray, scan, MRI, ultrasound"),
    "57833-6": ("Ordonnance", "Prescription"),
    "57828-6": ("Ordonnance (autre)", "Prescription (other)"),
    "57832-8": ("Ordonnance de soins", "Prescription for care"),
    "PRESC-BIO": ("Ordonnance pour une prise de sang", "Prescription for a blood test"),
    "PRESC-KINE": ("Ordonnance de kiné", "Prescription for physiotherapy"),
    "PRESC-INF": ("Ordonnance pour une infirmière", "Prescription for a nurse"),
    "60593-1": ("Médicaments donnés par la pharmacie", "Medicines given by the pharmacy"),
    "11490-0": ("Lettre de sortie de l’hôpital", "Letter when leaving hospital"),
    "18761-7": ("Lettre de transfert (entrée à l’hôpital)", "Transfer letter (going into hospital)"),
    "34112-3": ("Compte rendu d’hospitalisation", "Hospital stay report"),
    "15507-7": ("Passage aux urgences", "Visit to the emergency department"),
    "34874-8": ("Compte rendu d’opération", "Operation report"),
    "11526-1": ("Analyse d’un prélèvement (biopsie)", "Tissue test (biopsy)"),
    "75492-9": ("Examen de dépistage", "Screening test"),
    "85208-7": ("Consultation à distance (vidéo)", "Video consultation"),
    "34133-9": ("Résumé d’un épisode de soins", "Summary of a course of care"),
    "60591-5": ("Résumé médical", "Medical summary"),
    "56445-0": ("Bilan de mes médicaments", "Review of my medicines"),
    "68817-6": ("Bilan de santé de l’enfant", "Child health check"),
    "18776-5": ("Plan de soins", "Care plan"),
    "83869-8": ("Plan de prévention", "Prevention plan"),
    "11369-6": ("Vaccins", "Vaccines"),
    "87273-9": ("Vaccin fait", "Vaccine given"),
    "89601-9": ("Certificat médical", "Medical certificate"),
    "EXPPAT_3": ("Directives anticipées (mes volontés)", "Advance directives (my wishes)"),
    "EXPPAT_2": ("Autre", "Other"),
    "DOCPAT05": ("Prise de sang (ajoutée par moi)", "Lab results (added by me)"),
    "DOCPAT04": ("Radio, scanner (ajouté par moi)", "X-ray, scan (added by me)"),
}
# The short list offered when adding a document; the edit page offers every type.
EVERYDAY = ("57833-6", "11502-2", "18748-4", "34112-3", "11488-4", "11369-6", "89601-9", OTHER)


@dataclass(frozen=True)
class DocType:
    code: str
    code_system: str
    label_fr: str  # the official labels of the reference list
    label_en: str
    class_code: str

    def label(self, locale: str) -> str:
        """The everyday name."""
        fr, en = PLAIN.get(self.code, (self.label_fr, self.label_en))
        return fr if str(locale).startswith("fr") else en

    def official(self, locale: str) -> str:
        return self.label_fr if str(locale).startswith("fr") else self.label_en


@cache
def all_types() -> dict[str, DocType]:
    with DATA.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {r["type_code"]: DocType(r["type_code"], r["code_system"], r["label_fr"], r["label_en"],
                                    r["class_code"]) for r in rows}


def get(code: str) -> DocType | None:
    return all_types().get(code)


def class_label(class_code: str, locale: str) -> str:
    labels = CLASS_LABELS_FR if str(locale).startswith("fr") else CLASS_LABELS_EN
    return labels.get(class_code, class_code)


def choices(locale: str, everyday: bool = False) -> list[tuple[str, str]]:
    """Every type by its everyday name, alphabetically, "Other" last; or the short everyday list."""
    return list(_choices(str(locale), everyday))


@cache
def _choices(locale: str, everyday: bool) -> tuple[tuple[str, str], ...]:
    """Sorted once per language: folding every label for the sort took a twentieth of a document
    list's time, on every list."""
    if everyday:
        return tuple((code, all_types()[code].label(locale)) for code in EVERYDAY)
    listed = sorted(((t.code, t.label(locale)) for t in all_types().values() if t.code != OTHER),
                    key=lambda c: fold(c[1]))
    return (*listed, (OTHER, all_types()[OTHER].label(locale)))


def default_title(doc_type: DocType, day: date, locale: str) -> str:
    """A name for a document given none: its everyday type and the day ("Ordonnance du 3 mars 2026"),
    or "Document du ..." for "Other"."""
    fr = str(locale).startswith("fr")
    label = doc_type.label(locale) if doc_type.code != OTHER else "Document"
    when = format_date(day, "long", locale="fr" if fr else "en")
    return f"{label} du {when}" if fr else f"{label}, {when}"


def fold(text: str) -> str:
    """For matching as people type: no case, no accents ("echographie" finds "Échographie")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def codes_matching(text: str) -> list[str]:
    """Type codes whose everyday or official name (either language) contains `text`: searching
    "biolog" or "prise de sang" finds lab reports."""
    needle = fold(text)
    return [t.code for t in all_types().values()
            if any(needle in fold(label) for label in (t.label("fr"), t.label("en"), t.label_fr, t.label_en))
            or needle == t.code.casefold()]
