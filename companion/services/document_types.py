"""The document types of the national shared record (reference list copied to companion/data/)."""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "document-types.csv"

# The class labels exist in French only in the reference list; English ones are ours.
CLASS_LABELS_EN = {
    "10": "Reports", "11": "Summaries", "31": "Medical imaging", "42": "Prescriptions",
    "43": "Dispensations", "44": "Care plans", "52": "Certificates", "90": "Documents from the patient",
}
CLASS_LABELS_FR = {
    "10": "Comptes rendus", "11": "Synthèses", "31": "Imagerie médicale", "42": "Prescriptions",
    "43": "Dispensations", "44": "Plans de soins", "52": "Certificats",
    "90": "Documents déposés par le patient",
}
OTHER = "EXPPAT_2"  # "Other document from the patient": the default when nothing else fits


@dataclass(frozen=True)
class DocType:
    code: str
    code_system: str
    label_fr: str
    label_en: str
    class_code: str

    def label(self, locale: str) -> str:
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


def choices(locale: str) -> list[tuple[str, str]]:
    return sorted(((t.code, t.label(locale)) for t in all_types().values()), key=lambda c: c[1].lower())


def codes_matching(text: str) -> list[str]:
    """Type codes whose label (either language) contains `text`: searching "biolog" finds lab reports."""
    needle = text.casefold()
    return [t.code for t in all_types().values()
            if needle in t.label_fr.casefold() or needle in t.label_en.casefold()
            or needle == t.code.casefold()]
