"""Production refuses what it cannot run: no master key (every document would be a 500 behind an "ok"
health check) and a secret that is long but predictable."""

import secrets

import pytest

from companion.config import ConfigError, build_config, weak_secret

GOOD_SECRET = "k3V9q-Zt8LwX2nRb7HcY4mPj6sDf1GhA0uEo5iTy"
MASTER_HEX = "00112233445566778899aabbccddeeff" * 2


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("COMPANION_ENV", "production")
    monkeypatch.setenv("COMPANION_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("COMPANION_RATELIMIT_STORAGE", "redis://127.0.0.1:6379")
    monkeypatch.setenv("COMPANION_MASTER_KEY", MASTER_HEX)
    monkeypatch.setenv("COMPANION_AUDIT_KEY", "11" * 32)
    monkeypatch.setenv("COMPANION_AUDIT_SIGNING_KEY", "22" * 32)
    monkeypatch.setenv("COMPANION_PROOF_SIGNING_KEY", "33" * 32)
    monkeypatch.setenv("COMPANION_VAPID_SUBJECT", "mailto:ops@companion.example")
    return monkeypatch


def test_production_starts_with_a_random_secret_and_a_master_key(production):
    assert build_config()["ENV_NAME"] == "production"


def test_production_refuses_a_missing_master_key(production):
    production.delenv("COMPANION_MASTER_KEY")
    with pytest.raises(ConfigError, match="COMPANION_MASTER_KEY"):
        build_config()


def test_production_refuses_to_start_without_the_proof_signing_key(production):
    """Without it every proof would be signed by a key generated on one machine, or by none."""
    production.delenv("COMPANION_PROOF_SIGNING_KEY")
    with pytest.raises(ConfigError, match="COMPANION_PROOF_SIGNING_KEY"):
        build_config()
    production.setenv("COMPANION_PROOF_SIGNING_KEY", "abcd")
    with pytest.raises(ConfigError, match="COMPANION_PROOF_SIGNING_KEY"):
        build_config()


def test_production_refuses_a_master_key_that_is_not_32_bytes(production):
    production.setenv("COMPANION_MASTER_KEY", "abcd")
    with pytest.raises(ConfigError, match="32 bytes"):
        build_config()


def test_the_app_itself_refuses_to_start_without_the_master_key(production, tmp_path):
    from companion import create_app

    production.delenv("COMPANION_MASTER_KEY")
    with pytest.raises(ConfigError):
        create_app({"INSTANCE_DIR": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


@pytest.mark.parametrize("secret", [
    "a" * 32,
    "x" * 40,
    "0123456789abcdef" * 2,                    # a block repeated: 16 different characters
    "abcdefghijklmnopqrstuvwxyz012345",        # a sequence
    "qwertyuiopasdfghjklzxcvbnm123456",        # keyboard rows
    "Password1Password1Password1Pass",
    "abcabcabcabcabcabcabcabcabcabcabc",
    "Companion2026!Companion2026!Comp",
    "correcthorsebatterystaple1234567",        # words
])
def test_production_refuses_a_long_but_predictable_secret(production, secret):
    assert weak_secret(secret)
    production.setenv("COMPANION_SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="COMPANION_SECRET_KEY"):
        build_config()


def test_random_secrets_as_the_readme_suggests_pass():
    """Drawn afresh on every run: a threshold too close to randomness would fail now and then."""
    for _ in range(50):
        assert not weak_secret(secrets.token_hex(16))
        assert not weak_secret(secrets.token_hex(32))
        assert not weak_secret(secrets.token_urlsafe(32))
