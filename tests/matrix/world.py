"""A fresh world for one (case, actor): a target profile and every kind of actor around it.

Built with direct model calls (no HTTP, no password hashing) so the matrix stays fast on both
databases; each world gets its own e-mail suffix, so many worlds can live in one test."""

import uuid
from datetime import date, timedelta

from companion.extensions import db
from companion.models.account import User
from companion.models.delegation import SCOPES
from companion.models.profile import Profile, ProfileOwner
from companion.models.types import utcnow
from companion.services import sessions
from companion.services.access import OWNER_SCOPES

from ..cast import give_key, make_delegation
from . import World

ACTORS = ("owner", "co_owner", "caregiver_with_scope", "caregiver_without_scope", "caregiver_expired",
          "caregiver_revoked", "invited_not_accepted", "stranger", "anonymous", "mediator")


def delegation_scopes(actor: str, scope: str) -> set[str]:
    """What the actor's delegation carries for a case about `scope`."""
    if actor == "caregiver_with_scope":
        return {scope} if scope in SCOPES else set(SCOPES)
    if actor == "caregiver_without_scope":
        # documents:write includes documents:read, so "without read" must lack both.
        missing = {scope, "documents:write"} if scope == "documents:read" else {scope}
        return (set(SCOPES) - missing) or {SCOPES[0]}
    return set(SCOPES)  # the others hold everything, and still must get nothing


def expected_scopes(actor: str, scope: str) -> frozenset[str]:
    """The access the actor should have on the target profile (mirrors the rules, not the code)."""
    if actor in ("owner", "co_owner"):
        return OWNER_SCOPES
    if actor in ("caregiver_with_scope", "caregiver_without_scope"):
        held = delegation_scopes(actor, scope)
        if "documents:write" in held:  # adding documents includes seeing them
            held = held | {"documents:read"}
        return frozenset({"profile"} | held)
    return frozenset()


def _user(key: str, suffix: str, role: str = "person") -> User:
    user = User(email=f"{key}.{suffix}@matrix.test", display_name=f"{key.replace('_', ' ').title()} {suffix}",
                role=role, password_hash=None, locale="en")
    db.session.add(user)
    return user


def build(scope: str) -> World:
    """Call inside an app context; commits."""
    now = utcnow()
    suffix = uuid.uuid4().hex[:8]
    users = {key: _user(key, suffix, "mediator" if key == "mediator" else "person")
             for key in ACTORS if key != "anonymous"}
    db.session.flush()
    owner = users["owner"]
    profile = Profile(user_id=owner.id, first_name="Target", last_name=suffix, birth_date=date(1959, 5, 4),
                      sex="M")
    db.session.add(profile)
    db.session.flush()
    db.session.add(ProfileOwner(profile_id=profile.id, user_id=owner.id, relation="self"))
    db.session.add(ProfileOwner(profile_id=profile.id, user_id=users["co_owner"].id, relation="guardian"))
    states = {
        "caregiver_with_scope": {}, "caregiver_without_scope": {},
        "caregiver_expired": {"expires_at": now - timedelta(days=1)},
        "caregiver_revoked": {"revoked_at": now - timedelta(hours=1), "revoked_by_id": owner.id},
    }
    for key, extra in states.items():
        fields = {"expires_at": now + timedelta(days=30), **extra}
        make_delegation(profile.id, users[key], delegation_scopes(key, scope), granted_by_id=owner.id,
                        accepted_at=now - timedelta(days=40), created_at=now - timedelta(days=40), **fields)
    invited = users["invited_not_accepted"]
    # An e-mail invitation names the account from the start: only accepted_at may open access.
    make_delegation(profile.id, invited, " ".join(SCOPES), accepted=False, granted_by_id=owner.id,
                    invited_email=invited.email, created_at=now, expires_at=now + timedelta(days=30),
                    invitation_expires_at=now + timedelta(days=7))
    # Mediators must hold a security key to reach anything: this one has a (fake) key, so the matrix
    # tests a fully signed-in mediator rather than the "add a key first" detour.
    give_key(users["mediator"])
    db.session.flush()
    world = World(profile_id=profile.id, users=users)
    world.objects["_tokens"] = {key: sessions.open_session(user)[0] for key, user in users.items()}
    return world
