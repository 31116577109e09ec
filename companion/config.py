"""Settings, read from the environment only.

`COMPANION_ENV` is development (default), testing or production. Production refuses to start on
a missing or default secret key: a leaked default would let anyone forge sessions.
Tests ask for the testing settings as an argument (`create_app(config, testing=True)`), so every suite
gets the same ones without setting the environment.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_SECRET = "dev-only-change-me"
DEFAULT_VAPID_SUBJECT = "mailto:contact@companion.example"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


# What every test run shares, whichever suite starts the app (tests/, e2e/): cheap hashing with the same
# algorithm (argon2id) keeps the suite fast; a fixed key long enough for the production check; rate limits
# counted in this process, whatever the developer's environment says.
TEST_SETTINGS = {
    "ENV_NAME": "testing",
    "SECRET_KEY": "test-secret-key-with-enough-length-000",
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    "VAPID_SUBJECT": "mailto:tests@companion.example",
}


class ConfigError(RuntimeError):
    pass


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def build_config(overrides: dict | None = None, instance_path: str | None = None, *,
                 testing: bool = False) -> dict:
    """The settings from the environment, then TEST_SETTINGS when testing, then `overrides`."""
    env = "testing" if testing else os.environ.get("COMPANION_ENV", "development")
    instance = Path(instance_path or os.environ.get("COMPANION_INSTANCE_DIR") or PROJECT_ROOT / "instance")
    cfg: dict[str, Any] = {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("COMPANION_SECRET_KEY", DEFAULT_SECRET),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "COMPANION_DATABASE_URL", f"sqlite:///{instance / 'companion.sqlite3'}"
        ),
        # hide_parameters: a logged database error must not carry titles, notes or an INS. The pool checks
        # a connection that sat unused before lending it (companion/pool_check.py), not every time.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        "DATABASE_CHECK_AFTER_IDLE_SECONDS": 1.0,
        "INSTANCE_DIR": str(instance),
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("fr", "en"),
        # Sessions: cookie holds only a random token; the server row decides whether it is alive.
        "SESSION_COOKIE_NAME": "companion_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        # The cookie is sent only when the session changes: a background request answering last must
        # not put back the session as it was before (a form token, a key challenge). Idle and
        # absolute timeouts are kept on the server.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_int("COMPANION_SESSION_ABSOLUTE_HOURS", 12)),
        "SESSION_IDLE_MINUTES": _int("COMPANION_SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _int("COMPANION_SESSION_ABSOLUTE_HOURS", 12),
        "MEDIATOR_IDLE_MINUTES": _int("COMPANION_MEDIATOR_IDLE_MINUTES", 15),
        "FRESH_LOGIN_MINUTES": _int("COMPANION_FRESH_LOGIN_MINUTES", 5),
        # A file upload (or its replay from the offline queue) may take this long, plus what the slowest
        # line served (25 KB/s, half of Slow 3G) needs for its bytes (static/js/outbox.js, sendTime).
        "UPLOAD_TIMEOUT_MS": _int("COMPANION_UPLOAD_TIMEOUT_MS", 120000),
        # A saved page is shown when the network has not answered within this delay (sw_contract).
        "OFFLINE_COPY_AFTER_MS": _int("COMPANION_OFFLINE_COPY_AFTER_MS", 1000),
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "WTF_CSRF_TIME_LIMIT": None,  # the session bounds the token's life
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        # Rate limits (Flask-Limiter syntax). Redis when COMPANION_RATELIMIT_STORAGE is set.
        "RATELIMIT_STORAGE_URI": os.environ.get("COMPANION_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("COMPANION_LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Wrong passwords per (account, address or known device): free ones, then 2, 4, 8... seconds of
        # waiting up to this cap. No hard lock: a stranger cannot lock the owner out (issue 12).
        "LOGIN_THROTTLE_FREE_FAILURES": _int("COMPANION_LOGIN_THROTTLE_FREE_FAILURES", 5),
        "LOGIN_THROTTLE_MAX_SECONDS": _int("COMPANION_LOGIN_THROTTLE_MAX_SECONDS", 900),
        # Behind a load balancer, how many proxies set X-Forwarded-For (0: none, the peer is the client).
        "PROXY_HOPS": _int("COMPANION_PROXY_HOPS", 0),
        "REGISTER_RATE_LIMIT": os.environ.get("COMPANION_REGISTER_RATE_LIMIT", "5 per minute;30 per hour"),
        "CODE_RATE_LIMIT": os.environ.get("COMPANION_CODE_RATE_LIMIT", "10 per minute;40 per hour"),
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        "COMPRESS_MIMETYPES": [
            "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
            "application/manifest+json", "image/svg+xml", "text/csv", "text/calendar", "text/plain",
        ],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 256,
        # Measured on the login page (bench/server_bench.py): level 5 is 0.9 ms and 16 bytes more than
        # level 9 at 31 ms; static files are compressed once at brotli 11 (assets.py), not here.
        "COMPRESS_BR_LEVEL": 5,
        "MAX_CONTENT_LENGTH": _int("COMPANION_MAX_UPLOAD_MB", 10) * 1024 * 1024 + 64 * 1024,
        "MAX_UPLOAD_BYTES": _int("COMPANION_MAX_UPLOAD_MB", 10) * 1024 * 1024,
        # Where the encrypted documents are kept: empty for instance/documents on this disk, or
        # s3://bucket/prefix for an S3-compatible store (services/storage_s3.py).
        "DOCUMENT_STORE": os.environ.get("COMPANION_DOCUMENT_STORE", ""),
        "S3_ENDPOINT_URL": os.environ.get("COMPANION_S3_ENDPOINT_URL", ""),
        "S3_REGION": os.environ.get("COMPANION_S3_REGION", ""),
        "PUBLIC_ORIGIN": os.environ.get("COMPANION_PUBLIC_ORIGIN", "http://localhost:5000"),
        # Outgoing e-mail (services/mail.py): without an SMTP server, development logs each message.
        "SMTP_URL": os.environ.get("COMPANION_SMTP_URL", ""),
        "SMTP_TIMEOUT": _int("COMPANION_SMTP_TIMEOUT", 10),
        "MAIL_FROM": os.environ.get("COMPANION_MAIL_FROM", "Companion <no-reply@localhost>"),
        # Push services beyond the well-known ones (FCM, Mozilla, Apple, Windows), comma separated.
        "PUSH_ALLOWED_HOSTS": os.environ.get("COMPANION_PUSH_ALLOWED_HOSTS", ""),
        # The VAPID `sub` claim: how a push service reaches the operator (mailto: or https: URL).
        "VAPID_SUBJECT": os.environ.get("COMPANION_VAPID_SUBJECT", DEFAULT_VAPID_SUBJECT),
        # The task queue's storage: empty for SQLite in instance/ (one machine), redis://... to scale out.
        "QUEUE_URL": os.environ.get("COMPANION_QUEUE_URL", ""),
        # How long the access log is kept, a closed profile's or account's included (a closure deletes
        # everything else at once, the log stays this long after its last entry, then housekeeping
        # prunes it): the CNIL's recommendation on logging (délibération n° 2021-122 du 14 octobre 2021)
        # asks for 6 months to 1 year, long enough for the person or an inquiry to see who looked.
        "AUDIT_RETENTION_MONTHS": _int("COMPANION_AUDIT_RETENTION_MONTHS", 12),
        # A closure waits this long, cancellable until its end (issue 17); then every file, key and row
        # of what it closes is deleted for good.
        "CLOSURE_COOLING_OFF_DAYS": _int("COMPANION_CLOSURE_COOLING_OFF_DAYS", 30),
        # The access log's keys live outside the database (services/audit_keys.py); empty outside production
        # means "generate a development key into the instance folder".
        "AUDIT_KEY": os.environ.get("COMPANION_AUDIT_KEY", ""),
        "AUDIT_SIGNING_KEY": os.environ.get("COMPANION_AUDIT_SIGNING_KEY", ""),
        # Proofs of delegation (services/proofs.py): the Ed25519 seed that signs them (32 bytes, hex or
        # base64; empty outside production: a development key in the instance folder), and the public
        # keys of earlier seeds, comma separated, still published so the proofs they signed stay valid.
        "PROOF_SIGNING_KEY": os.environ.get("COMPANION_PROOF_SIGNING_KEY", ""),
        "PROOF_RETIRED_KEYS": os.environ.get("COMPANION_PROOF_RETIRED_KEYS", ""),
        # A signed checkpoint of every chain head after this many entries in one chain (and every hour).
        "AUDIT_CHECKPOINT_EVERY": _int("COMPANION_AUDIT_CHECKPOINT_EVERY", 1000),
        # Refused requests an account may make before it is answered 429 (Flask-Limiter syntax).
        "REFUSAL_RATE_LIMIT": os.environ.get("COMPANION_REFUSAL_RATE_LIMIT", "60 per minute"),
        "ACCESS_LOG_PAGE_SIZE": 50,
        "DELEGATION_MAX_CAREGIVERS": _int("COMPANION_MAX_CAREGIVERS", 3),
        "DELEGATION_MAX_PEOPLE": _int("COMPANION_MAX_PEOPLE_PER_CAREGIVER", 5),
        # Assisted recovery codes a France Services mediator may give per 24 hours (issue 7).
        "ASSISTED_RECOVERY_DAILY_LIMIT": _int("COMPANION_ASSISTED_RECOVERY_DAILY_LIMIT", 5),
        # How long a new password set with such a code waits for the owner to cancel it (issue 12).
        "RECOVERY_HOLD_HOURS": _int("COMPANION_RECOVERY_HOLD_HOURS", 72),
        # A child growing up (services/family_stages.py; sources in docs/family-ages.md): from the teen age
        # the teen decides what the parents see; at the adult age the profile is theirs alone. Both are
        # announced this many months before.
        "FAMILY_TEEN_AGE": _int("COMPANION_FAMILY_TEEN_AGE", 15),
        "FAMILY_ADULT_AGE": _int("COMPANION_FAMILY_ADULT_AGE", 18),
        "FAMILY_NOTICE_MONTHS": _int("COMPANION_FAMILY_NOTICE_MONTHS", 3),
    }
    chosen = {**(TEST_SETTINGS if env == "testing" else {}), **(overrides or {})}
    cfg.update(chosen)
    cfg["RATELIMIT_STORAGE_EXPLICIT"] = ("COMPANION_RATELIMIT_STORAGE" in os.environ
                                         or "RATELIMIT_STORAGE_URI" in chosen)
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        cfg["SQLALCHEMY_DATABASE_URI"] = cfg["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Writers queue for SQLite's single write lock (the access log's appends among them): wait for it
        # rather than fail after pysqlite's default 5 s under the threaded server.
        options = cfg["SQLALCHEMY_ENGINE_OPTIONS"]
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": {"timeout": 30}}
    _check(cfg)
    return cfg


def _is_key32(raw: str) -> bool:
    import base64
    import binascii

    for decode in (bytes.fromhex, base64.urlsafe_b64decode, base64.b64decode):
        try:
            if len(decode(raw.strip())) == 32:
                return True
        except (ValueError, binascii.Error):
            continue
    return False


def _check(cfg: dict) -> None:
    if cfg["ENV_NAME"] == "production":
        key = cfg.get("SECRET_KEY") or ""
        if key == DEFAULT_SECRET or len(key) < 32:
            raise ConfigError("COMPANION_SECRET_KEY must be set to a long random value in production")
        if weak_secret(key):
            raise ConfigError("COMPANION_SECRET_KEY is too predictable (repeats, sequences or words): use "
                              "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`")
        _check_master_key()
        if not cfg.get("RATELIMIT_STORAGE_EXPLICIT"):
            # In memory, each worker counts on its own and limits multiply by the number of processes:
            # production must choose (redis:// for several workers, memory:// for exactly one).
            raise ConfigError("set COMPANION_RATELIMIT_STORAGE in production (e.g. redis://host:6379)")
        for setting, name in (("AUDIT_KEY", "COMPANION_AUDIT_KEY"),
                              ("AUDIT_SIGNING_KEY", "COMPANION_AUDIT_SIGNING_KEY"),
                              ("PROOF_SIGNING_KEY", "COMPANION_PROOF_SIGNING_KEY")):
            # Proofs: a key anyone could read would let them sign a delegation nobody gave.
            # Without keys held outside the database, whoever can write to it can rewrite the access log.
            if not _is_key32(cfg.get(setting) or ""):
                raise ConfigError(f"{name} must be set to 32 random bytes (hex or base64) in production")
        subject = cfg.get("VAPID_SUBJECT") or ""
        if subject == DEFAULT_VAPID_SUBJECT or not subject.startswith(("mailto:", "https:")):
            # Push services write to this address about abuse or errors before blocking the sender.
            raise ConfigError("set COMPANION_VAPID_SUBJECT in production (mailto: or https: URL)")
        cfg["SESSION_COOKIE_SECURE"] = True
        # `__Host-`: Secure, Path=/ and no Domain, or the browser refuses it (see web/cookies.py).
        cfg["SESSION_COOKIE_NAME"] = "__Host-" + cfg["SESSION_COOKIE_NAME"].removeprefix("__Host-")
        cfg.update(SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None, REMEMBER_COOKIE_SECURE=True,
                   REMEMBER_COOKIE_NAME="__Host-remember", REMEMBER_COOKIE_PATH="/",
                   REMEMBER_COOKIE_DOMAIN=None)


def weak_secret(key: str) -> bool:
    """Whether a secret of the right length is still guessable: few different characters, one block
    repeated, or what a password-cracking estimate finds (sequences, keyboard rows, words).

    32 random hex characters carry 128 bits; the estimator credits them about 10^31 guesses (never
    under 10^27 in 3,000 draws, a run like "9999" costs a little), while repeats, sequences, words
    and names come out under 10^17: 10^20 keeps clear of both."""
    if len(set(key)) < 10 or any(key == (key[:n] * (len(key) // n + 1))[:len(key)]
                                 for n in range(1, len(key) // 2 + 1)):
        return True
    from zxcvbn import zxcvbn  # only production start-up pays for loading its word lists

    return zxcvbn(key[:100])["guesses_log10"] < 20


def _check_master_key() -> None:
    """Without the key, every document upload and open fails: refuse to start rather than look healthy."""
    from .services.crypto import CryptoError, decode_master_key

    raw = os.environ.get("COMPANION_MASTER_KEY", "")
    if not raw:
        raise ConfigError("COMPANION_MASTER_KEY must be set in production (32 random bytes, hex or base64); "
                          "without it no document can be stored or opened")
    try:
        decode_master_key(raw)
    except CryptoError as exc:
        raise ConfigError(str(exc)) from None
