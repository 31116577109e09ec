"""Password hashing (argon2id) and the password policy: length, a strength estimate (zxcvbn: its
frequency lists of leaked passwords, words, names and keyboard patterns), our own list of common French
passwords, and the account's own e-mail and name; no composition rules (NIST SP 800-63B)."""

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from ..texts import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 256
# zxcvbn's score 3 is about 10^8 guesses: safe against online guessing behind our rate limits, and
# still met by a short sentence of common words, which is what we advise people to choose.
MIN_SCORE = 3


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    path = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def _personal(user_inputs) -> list[str]:
    """The account's own words: the e-mail, its local part and each part of the name."""
    words = []
    for value in user_inputs:
        value = (value or "").strip().lower()
        if value:
            words += [value, value.split("@")[0], *value.replace("@", " ").replace(".", " ").split()]
    return [w for w in words if len(w) >= 3]


def policy_error(password: str, *, user_inputs=()):
    """The reason a password is refused, or None. `user_inputs`: the e-mail and name of the account."""
    if len(password) < MIN_LENGTH:
        return _l("Choose a password of at least %(n)s characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("This password is too long.")
    personal = _personal(user_inputs)
    lowered = password.lower()
    if any(lowered == w or (len(w) >= 5 and w in lowered and len(lowered) - len(w) < 5) for w in personal):
        return _l("Your password must not be your e-mail address or your name. Choose another one.")
    if lowered in _common() or zxcvbn(password, user_inputs=personal)["score"] < MIN_SCORE:
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
