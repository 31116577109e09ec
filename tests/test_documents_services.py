"""Service-level tests: encryption round trip and tamper detection, the master key, atomic storage,
sniffing, CDA parsing of the official example, and the reference list of types."""

import base64
import logging
import os
from types import SimpleNamespace

import pytest

from companion.services import ServiceError, cda, crypto, document_types, sniff
from companion.services.storage import LocalStorage, new_key

from .documents_support import CDA_EXAMPLE, EXE, PDF, image, png_bomb
from .documents_support import cda as make_cda

MASTER = crypto.AESGCM.generate_key(256)


def test_encryption_round_trip_and_the_blob_hides_the_content():
    blob, wrapped = crypto.encrypt(MASTER, PDF, b"key-1")
    assert b"%PDF" not in blob and b"Hemoglobine" not in blob
    assert crypto.decrypt(MASTER, blob, wrapped, b"key-1") == PDF


def test_every_document_gets_its_own_data_key():
    _, first = crypto.encrypt(MASTER, PDF, b"a")
    _, second = crypto.encrypt(MASTER, PDF, b"a")
    assert first != second


@pytest.mark.parametrize("change", ["flip a bit", "wrong master key", "swapped blob", "wrong wrapped key"])
def test_tampering_never_decrypts_silently(change):
    blob, wrapped = crypto.encrypt(MASTER, PDF, b"key-1")
    master, aad = MASTER, b"key-1"
    if change == "flip a bit":
        blob = blob[:-1] + bytes([blob[-1] ^ 1])
    elif change == "wrong master key":
        master = crypto.AESGCM.generate_key(256)
    elif change == "swapped blob":
        aad = b"key-2"  # the blob of another document under this one's name
    else:
        wrapped = crypto.encrypt(MASTER, PDF, b"key-1")[1]
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(master, blob, wrapped, aad)


def test_master_key_from_the_environment_in_hex_or_base64(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPANION_MASTER_KEY", MASTER.hex())
    assert crypto.load_master_key(str(tmp_path), "production") == MASTER
    monkeypatch.setenv("COMPANION_MASTER_KEY", base64.b64encode(MASTER).decode())
    assert crypto.load_master_key(str(tmp_path), "production") == MASTER
    monkeypatch.setenv("COMPANION_MASTER_KEY", "too-short")
    with pytest.raises(crypto.CryptoError):
        crypto.load_master_key(str(tmp_path), "development")


def test_a_development_key_is_generated_with_a_warning_but_never_in_production(monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("COMPANION_MASTER_KEY", raising=False)
    with pytest.raises(crypto.CryptoError):
        crypto.load_master_key(str(tmp_path), "production")
    with caplog.at_level(logging.WARNING):
        key = crypto.load_master_key(str(tmp_path), "development")
    assert "COMPANION_MASTER_KEY" in caplog.text
    assert (tmp_path / "master.key").stat().st_mode & 0o077 == 0
    assert crypto.load_master_key(str(tmp_path), "development") == key  # kept, not regenerated


def test_local_storage_writes_whole_files_under_random_names(tmp_path):
    store = LocalStorage(tmp_path)
    key = new_key()
    store.put(key, b"cipher")
    assert store.get(key) == b"cipher" and store.keys() == [key]
    assert store.stale_parts() == []
    store.delete(key)
    store.delete(key)  # twice is fine
    assert store.keys() == []
    with pytest.raises(ValueError):
        store.put("../../etc/passwd", b"x")


def test_a_crash_during_the_rename_leaves_no_file(tmp_path, monkeypatch):
    store = LocalStorage(tmp_path)
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("power cut")))
    with pytest.raises(OSError):
        store.put(new_key(), b"cipher")
    monkeypatch.undo()
    assert store.keys() == [] and store.stale_parts() == []


@pytest.mark.parametrize("data,expected", [
    (PDF, sniff.PDF), (image("JPEG"), sniff.JPEG), (image("PNG"), sniff.PNG),
])
def test_sniffing_recognises_real_files(app, data, expected):
    with app.test_request_context():
        assert sniff.detect(data) == expected


@pytest.mark.parametrize("data,status", [
    (b"", 400), (EXE, 415), (b"\x7fELF\x02\x01", 415), (b"<html><script>", 415),
    (PDF[:-20], 422), (png_bomb(), 422), (png_bomb(30_000, 10), 422), (image("PNG")[:60], 422),
])
def test_sniffing_refuses_bad_files(app, data, status):
    with app.test_request_context(), pytest.raises(ServiceError) as err:
        sniff.detect(data)
    assert err.value.status == status and str(err.value.message)


def test_the_official_cda_example_parses():
    doc = cda.parse(CDA_EXAMPLE.read_bytes())
    assert doc.type_code == "11502-2" and doc.title == "Compte rendu d'examens biologiques"
    assert doc.care_date.isoformat() == "2021-01-04"
    assert doc.source == "Dr Marcel CAMPARINI, Laboratoire des charmes"
    assert doc.ins == "279035121518989"
    assert doc.pdf.startswith(b"%PDF") and sniff.detect(doc.pdf) == sniff.PDF


def test_a_minimal_cda_gives_its_header_and_pdf():
    doc = cda.parse(make_cda())
    assert (doc.type_code, doc.title, doc.source) == ("57833-6", "Ordonnance & suivi", "Dr Anne LEFEVRE")
    assert doc.care_date.isoformat() == "2026-03-02" and doc.pdf == PDF


def test_external_entities_are_never_resolved(app, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = make_cda(doctype=f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>').replace(
        b"Ordonnance &amp;", b"&xxe;")
    with app.test_request_context(), pytest.raises(ServiceError) as err:
        cda.parse(xxe)
    assert "TOP-SECRET" not in str(err.value.message)


def test_the_reference_types_are_loaded_with_their_class():
    types = document_types.all_types()
    assert len(types) >= 29
    lab = types["11502-2"]
    assert (lab.class_code, lab.official("fr"), lab.official("en")) == ("10", "CR d'examens biologiques",
                                                                        "Laboratory report")
    assert "18748-4" in document_types.codes_matching("imagerie")
    assert document_types.class_label("31", "en") == "X-rays and scans"


def test_the_ins_check_is_a_service_rule():
    profile = SimpleNamespace(ins="279035121518989", full_name="Anna Petit")
    same = SimpleNamespace(ins="279035121518989")
    other = SimpleNamespace(ins="180000000000000")
    unknown = SimpleNamespace(ins=None)
    assert cda.identity_warning(profile, same) is None
    assert "Anna Petit" in str(cda.identity_warning(profile, other))
    # Which side has no INS is said: most often the profile (issue 14), not the file.
    assert "This file has no patient number" in str(cda.identity_warning(profile, unknown))
    no_ins = SimpleNamespace(ins=None, full_name="Anna Petit")
    assert "The profile of Anna Petit has no patient number" in str(cda.identity_warning(no_ins, same))
