"""The factory's contract: tests ask for their settings as an argument."""

from companion import config


def test_testing_settings_come_from_the_argument_not_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPANION_ENV", "production")
    monkeypatch.setenv("COMPANION_RATELIMIT_STORAGE", "redis://127.0.0.1:6379")
    monkeypatch.delenv("COMPANION_SECRET_KEY", raising=False)
    cfg = config.build_config({"INSTANCE_DIR": str(tmp_path)}, testing=True)
    assert {k: cfg[k] for k in config.TEST_SETTINGS} == config.TEST_SETTINGS
    assert cfg["SESSION_COOKIE_SECURE"] is False
    # What the caller passes still wins over the shared test settings.
    assert config.build_config({"ARGON2_TIME_COST": 2}, testing=True)["ARGON2_TIME_COST"] == 2
