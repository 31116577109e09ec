"""The factory's contract: tests ask for their settings as an argument, and starting the app reads the
translations but never writes into the source tree."""

from companion import config, create_app, i18n


def test_testing_settings_come_from_the_argument_not_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPANION_ENV", "production")
    monkeypatch.setenv("COMPANION_RATELIMIT_STORAGE", "redis://127.0.0.1:6379")
    monkeypatch.delenv("COMPANION_SECRET_KEY", raising=False)
    cfg = config.build_config({"INSTANCE_DIR": str(tmp_path)}, testing=True)
    assert {k: cfg[k] for k in config.TEST_SETTINGS} == config.TEST_SETTINGS
    assert cfg["SESSION_COOKIE_SECURE"] is False
    # What the caller passes still wins over the shared test settings.
    assert config.build_config({"ARGON2_TIME_COST": 2}, testing=True)["ARGON2_TIME_COST"] == 2


def test_starting_the_app_writes_nothing_into_the_translations(monkeypatch, tmp_path):
    """Catalogs are compiled by `make`: a start-up that compiled (and took the lock) would write into
    the source tree from every worker at once."""
    catalogs = tmp_path / "translations"
    po = catalogs / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n')
    monkeypatch.setattr(i18n, "TRANSLATIONS", catalogs)
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite3", "INSTANCE_DIR": str(tmp_path)},
               testing=True)
    assert sorted(p.name for p in catalogs.rglob("*")) == ["LC_MESSAGES", "fr", "messages.po"]
