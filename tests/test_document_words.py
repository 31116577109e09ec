"""Documents in everyday words (issue 14): types by the names people use, mapped to the official
codes; sizes in KB and MB, never bytes; a default name that says what and when; accent-free search."""

from companion.services import document_types

from .cast import sign_up
from .documents_support import PDF, _empty_document_store, make_pdf, upload  # noqa: F401


def test_adding_a_document_offers_a_short_list_of_everyday_names(web, ctx):
    pid = sign_up(web, ctx)
    page = web.get(f"/p/{pid}/documents/upload").get_data(as_text=True)
    form = page[page.index('name="type_code"'):page.index("</select>", page.index('name="type_code"'))]
    for name in ("Ordonnance", "Prise de sang, analyses", "Radio, scanner, IRM, échographie",
                 "Compte rendu d’hospitalisation", "Vaccins", "Autre"):
        assert f">{name}</option>" in form
    assert form.count("<option") == len(document_types.EVERYDAY) <= 8
    assert "Dispensation" not in form and "anatomie" not in form
    # Each everyday name stands for an official code of the shared record.
    assert 'value="57833-6">Ordonnance<' in form and 'value="11502-2">Prise de sang' in form


def test_every_official_type_has_an_everyday_name_in_both_languages():
    for code, t in document_types.all_types().items():
        assert code in document_types.PLAIN
        assert "CR " not in t.label("fr") and "Dispensation" not in t.label("fr")
        assert t.label("en")


def test_sizes_are_in_kilobytes_and_megabytes_with_the_local_decimal_mark(web, ctx):
    pid = sign_up(web, ctx)
    small = upload(web, pid, make_pdf("x"), title="Petit", json=True).get_json()["url"]
    page = web.get(small).get_data(as_text=True)
    assert "octets" not in page and "1\u00a0Ko" in page


def test_a_document_without_a_name_is_named_by_its_type_and_day(web, ctx):
    pid = sign_up(web, ctx)
    url = upload(web, pid, PDF, type_code="EXPPAT_2", title="", care_date="2026-03-03",
                 json=True).get_json()["url"]
    page = web.get(url).get_data(as_text=True)
    assert "<h1>Document du 3 mars 2026</h1>" in page and "Autre document du patient</h1>" not in page
    url = upload(web, pid, make_pdf("o"), type_code="57833-6", care_date="2026-03-04",
                 json=True).get_json()["url"]
    assert "<h1>Ordonnance du 4 mars 2026</h1>" in web.get(url).get_data(as_text=True)


def test_searching_a_type_ignores_accents_and_finds_everyday_names(web, ctx):
    pid = sign_up(web, ctx)
    upload(web, pid, PDF, type_code="18748-4", title="Genou gauche")
    base = f"/p/{pid}/documents"
    assert "Genou gauche" in web.post(base, {"q": "echographie"}, from_url=base).get_data(as_text=True)
    assert "18748-4" in document_types.codes_matching("radio")
    assert "11502-2" in document_types.codes_matching("prise de sang")
