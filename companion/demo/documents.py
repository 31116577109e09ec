"""Demo health documents: small valid PDFs generated here (no real data), typed from the reference list."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models.document import Document
from ..services.access import find_access

ORDER = 30


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(title: str, lines: Sequence[str] = ()) -> bytes:
    """A one-page PDF 1.4 with Helvetica text, its cross-reference table computed (a valid file)."""
    text = [f"BT /F1 16 Tf 56 780 Td ({_escape(title)}) Tj ET"]
    for i, line in enumerate(lines):
        text.append(f"BT /F1 11 Tf 56 {740 - 18 * i} Td ({_escape(line)}) Tj ET")
    stream = "\n".join(text).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return pdf_from_objects(objects)


def pdf_from_objects(objects: Sequence[bytes]) -> bytes:
    """PDF 1.4 bytes: object n is objects[n-1], object 1 the catalog; the cross-reference table computed."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# profile key: (type code, title, care date, source, lines)
DOCUMENTS = {
    "claire": [
        ("11502-2", "Bilan sanguin annuel", date(2026, 3, 14), "Laboratoire Bio Loire, Tours",
         ["Hémoglobine : 13,8 g/dL (12-16)", "Glycémie à jeun : 0,92 g/L (0,70-1,10)",
          "Cholestérol LDL : 1,21 g/L"]),
        ("18748-4", "Mammographie de dépistage", date(2026, 1, 20), "Cabinet de radiologie du Mail",
         ["Dépistage organisé du cancer du sein", "Classification ACR 1 : examen normal"]),
        ("57833-6", "Ordonnance du Dr Lefèvre", date(2026, 9, 2), "Dr Anne Lefèvre, médecin généraliste",
         ["Levothyrox 75 microgrammes : 1 comprimé le matin", "Pendant 3 mois"]),
        ("11369-6", "Historique des vaccinations", date(2025, 10, 8), "Pharmacie des Halles",
         ["Grippe saisonnière : 08/10/2025", "dTP rappel : 12/03/2019"]),
        ("89601-9", "Certificat d'aptitude au sport", date(2025, 9, 1), "Dr Anne Lefèvre",
         ["Absence de contre-indication à la pratique de la natation"]),
    ],
    "louis": [
        ("11490-0", "Lettre de liaison - sortie de cardiologie", date(2026, 6, 18),
         "CHU de Tours, cardiologie",
         ["Hospitalisation du 12 au 18 juin 2026", "Traitement de sortie : bisoprolol 2,5 mg"]),
        ("57833-6", "Ordonnance de sortie", date(2026, 6, 18), "CHU de Tours, cardiologie",
         ["Bisoprolol 2,5 mg : 1 comprimé le matin", "Kardegic 75 mg : 1 sachet à midi"]),
        ("11502-2", "Bilan rénal et INR", date(2026, 10, 5), "Laboratoire Bio Loire, Amboise",
         ["Créatinine : 9,8 mg/L", "INR : 2,4 (cible 2-3)"]),
        ("60591-5", "Synthèse médicale", date(2026, 7, 1), "Dr Paul Martin, médecin traitant",
         ["Antécédents : infarctus 2026, hypertension", "Allergie : pénicilline"]),
        ("EXPPAT_3", "Directives anticipées", date(2025, 11, 20), "Louis Bernard",
         ["Personne de confiance : Sophie Bernard"]),
    ],
    "lea": [
        ("68817-6", "Examen du 4e mois", date(2026, 11, 12), "Dr Claire Dubois, pédiatre",
         ["Poids 6,4 kg, taille 63 cm", "Développement harmonieux", "Vaccins du 4e mois faits"]),
    ],
    "nadia": [
        ("11488-4", "Consultation de dermatologie", date(2026, 5, 11), "Dr Samia Belkacem, dermatologue",
         ["Eczéma de contact, traitement local 15 jours"]),
        ("PRESC-KINE", "Prescription de kinésithérapie", date(2026, 8, 27), "Dr Hugo Roux",
         ["10 séances de rééducation du genou droit"]),
    ],
}


OWNER = {"lea": "claire"}  # Léa has no account: her mother adds her documents


def seed(ctx) -> list[str]:
    from ..services import documents  # needs the app's storage and key

    lines = ["Demo documents"]
    for key, rows in DOCUMENTS.items():
        profile, user = ctx.profiles.get(key), ctx.users.get(OWNER.get(key, key))
        access = find_access(user, profile.id) if profile is not None and user is not None else None
        if access is None:
            lines.append(f"  skipped {key}: no profile")
            continue
        added = 0
        for type_code, title, care, source, body in rows:
            data = make_pdf(title, [source, care.isoformat(), *body, "Document de démonstration, fictif."])
            exists = db.session.scalar(select(Document.id).where(Document.profile_id == profile.id,
                                                                 Document.title == title))
            if exists is None:
                documents.add(access, user, data, title=title, type_code=type_code, care_date=care,
                              source=source)
                added += 1
        noun = "document" if len(rows) == 1 else "documents"
        lines.append(f"  {profile.full_name}: {len(rows)} {noun} ({added} new)")
    return lines
