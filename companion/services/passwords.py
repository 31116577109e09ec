"""Password hashing (argon2id) and the password policy: length and a common-password list,
no composition rules (NIST SP 800-63B)."""

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 256


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    path = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def policy_error(password: str):
    """The reason a password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return _l("Choose a password of at least %(n)s characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("This password is too long.")
    if password.lower() in _common():
        return _l("This password is too common and easy to guess. Choose another one.")
    return None


def hash_password(password: str, cost: tuple[int, int] = (3, 65536)) -> str:
    return _hasher(*cost).hash(password)


def verify_password(stored: str | None, password: str, cost: tuple[int, int] = (3, 65536)) -> bool:
    if not stored:
        # Spend the same time on a missing hash so unknown accounts are not told apart by timing.
        _hasher(*cost).hash(password)
        return False
    try:
        return _hasher(*cost).verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
