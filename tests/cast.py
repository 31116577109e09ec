"""The test cast: the people of the demo (companion/demo) and the one set of builders every test uses.

Like healthchecks' alice/bob/charlie or CTFd's gen_* helpers: a test names a person of the cast
("louis", "sophie") and gets the same account everywhere, instead of each file rebuilding its own.

Builders that write rows directly (call them inside an app or request context; they flush, the
test commits): `make_person`, `make_profile`, `make_delegation`, `make_structure`, `make_mediator`,
`give_key`; and `delegate(ctx, pid, who, scopes)`, which commits a delegation to a person of the cast
for a test that holds the `ctx` fixture.

Builders that go through the web, each with one meaning:
- `sign_up(web, ctx, who)`: `who` signs up on this browser; their own profile's id;
- `registered(app, who)`: a new browser that signed up with the real registration form;
- `signed_in(client, user)`: a browser signed in as an existing account, without its password or key
  (the only way to sign in a mediator: the test client cannot use a security key);
- `mediator_browser(app)`: a mediator of a new structure, signed in;
- `invite(browser, pid, ...)`: the owner's caregiver invitation form, sent;
- `own_profile_id(ctx, who)`: the profile an account holds as its own.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from companion.extensions import db
from companion.models.account import User
from companion.models.credential import WebAuthnCredential
from companion.models.delegation import Delegation
from companion.models.onboarding import Structure
from companion.models.profile import Profile, ProfileOwner
from companion.models.types import utcnow
from companion.services import accounts, sessions

from .conftest import Browser

PASSWORD = "une phrase facile"
COST = (1, 1024)  # the cheapest Argon2 parameters: the tests create many accounts


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    birth_date: date | None = None
    sex: str | None = None


# The demo's people (companion/demo/accounts.py and family.py), with test addresses.
CAST = {
    "anna": Person("anna@example.fr", "Anna Petit"),  # the registration form's default account
    "claire": Person("claire@example.fr", "Claire Martin", date(1974, 3, 12), "F"),
    "louis": Person("louis@example.fr", "Louis Bernard", date(1959, 5, 4), "M"),
    "sophie": Person("sophie@example.fr", "Sophie Bernard", date(1988, 9, 21), "F"),  # Louis's daughter
    "nadia": Person("nadia@example.fr", "Nadia Haddad", date(1991, 1, 15), "F"),
    "marie": Person("marie@example.fr", "Marie Voisine"),  # Claire's neighbour, who helps
    "paul": Person("paul@example.fr", "Paul Martin"),  # Léa's other parent
    "karim": Person("karim@fs.example.fr", "Karim Benali"),  # the mediator of France Services de Guéret
}
GUERET = ("France Services de Guéret", "23096")


def email_of(who: str) -> str:
    """A cast key ("louis") or an address ("x@example.fr")."""
    return who if "@" in who else CAST[who].email


# --- rows, inside an app context ---------------------------------------------------------------

def make_person(who: str = "anna", *, email: str | None = None, name: str | None = None,
                password: str | None = PASSWORD, locale: str | None = None, role: str = "person",
                with_birth: bool = False) -> User:
    """An account registered through the accounts service (a person gets their own profile);
    `with_birth` gives that profile the cast's birth date and sex."""
    cast = CAST[who]
    user = accounts.register(email or cast.email, password, name or cast.name, locale=locale, role=role,
                             cost=COST)
    if with_birth:
        profile = accounts.own_profile(user)
        profile.birth_date, profile.sex = cast.birth_date, cast.sex
        db.session.flush()
    return user


def make_profile(owner: User | None = None, first_name: str = "Léa", last_name: str = "Martin", *,
                 relation: str = "parent", **fields) -> Profile:
    """A profile that is not an account's own (a child's), managed by `owner` when one is given."""
    profile = Profile(first_name=first_name, last_name=last_name, **fields)
    db.session.add(profile)
    db.session.flush()
    if owner is not None:
        db.session.add(ProfileOwner(profile_id=profile.id, user_id=owner.id, relation=relation))
        db.session.flush()
    return profile


def make_delegation(profile_id: int, caregiver: User | None, scopes: str | Iterable[str] = "agenda", *,
                    accepted: bool = True, accepted_at: datetime | None = None,
                    expires_at: datetime | None = None, **fields) -> Delegation:
    """A delegation as if invited and accepted (at `accepted_at`, now by default) for 30 days, unless
    `expires_at` says otherwise; `accepted=False` leaves it an invitation. Any other column goes in
    `fields` (granted_by_id, revoked_at, see_hidden...)."""
    start = accepted_at or utcnow()
    d = Delegation(profile_id=profile_id, caregiver_id=caregiver.id if caregiver else None,
                   scopes=scopes if isinstance(scopes, str) else " ".join(sorted(scopes)),
                   accepted_at=start if accepted else None,
                   expires_at=expires_at or start + timedelta(days=30), **fields)
    db.session.add(d)
    db.session.flush()
    return d


def delegate(ctx, profile_id: int, who: str, scopes: str, see_hidden: bool = False) -> None:
    """`who` (a person of the cast, with an account) now helps with the profile, for `scopes`."""
    with ctx():
        caregiver = db.session.scalar(select(User).where(User.email == email_of(who)))
        make_delegation(profile_id, caregiver, scopes, see_hidden=see_hidden)
        db.session.commit()


def make_structure(name: str = GUERET[0], commune: str = GUERET[1]) -> Structure:
    structure = Structure(name=name, commune_code=commune)
    db.session.add(structure)
    db.session.flush()
    return structure


def make_mediator(structure: Structure, email: str = CAST["karim"].email, name: str = CAST["karim"].name,
                  lead: bool = False) -> User:
    """A mediator of the structure, holding a security key (they may do nothing without one)."""
    user = make_person(email=email, name=name, role="mediator")
    user.structure_id = structure.id
    if lead:
        structure.lead_id = user.id
    give_key(user)
    db.session.flush()
    return user


def give_key(user: User) -> None:
    """Mediators need a key before anything else (WebAuthn policy): a credential row stands for it."""
    db.session.add(WebAuthnCredential(user_id=user.id, credential_id=f"test-{user.id}".encode(),
                                      public_key=b"k", name="test key"))
    db.session.flush()


# --- through the web ---------------------------------------------------------------------------

def sign_up(web: Browser, ctx, who: str = "anna") -> int:
    """`who` signs up with the registration form on this browser (and so is signed in on it); the id
    of their own profile."""
    cast = CAST[who]
    resp = web.register(email=cast.email, name=cast.name)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return own_profile_id(ctx, who)


def registered(app, who: str = "anna", *, email: str | None = None, name: str | None = None) -> Browser:
    """A new browser that signed up with the registration form (and so is signed in)."""
    cast = CAST[who]
    browser = Browser(app.test_client())
    resp = browser.register(email=email or cast.email, name=name or cast.name, password=PASSWORD)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return browser


def signed_in(client, user: User | int) -> Browser:
    """The client signed in as this account (or account id): a session opened for it directly."""
    with client.application.app_context():
        account = db.session.get(User, user if isinstance(user, int) else user.id)
        token, _session = sessions.open_session(account)
        db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
    return Browser(client)


def sync_token(browser: Browser) -> str:
    """The copy token this browser's worker is given when its sync reports what it copies."""
    csrf = browser.get("/offline/manifest.json").get_json()["csrf"]
    resp = browser.client.post("/offline/report", json={}, headers={"X-CSRFToken": csrf})
    assert resp.status_code == 200, resp.status_code
    return resp.get_json()["token"]


def mediator_browser(app, *, structure: dict | None = None, **mediator) -> tuple[Browser, int]:
    """A signed-in mediator (Karim of Guéret unless told otherwise) and their account id."""
    with app.test_request_context():
        user = make_mediator(make_structure(**(structure or {})), **mediator)
        db.session.commit()
        user_id = user.id
    return signed_in(app.test_client(), user_id), user_id


def invite(browser: Browser, pid: int, **fields):
    """The owner's invitation form, sent (by e-mail to an account by default: give `email=`)."""
    data = {"how": "email", "scopes": ["documents:read", "agenda"], "term": "6m", **fields}
    return browser.post(f"/p/{pid}/caregivers/invite", data, from_url=f"/p/{pid}/caregivers")


def own_profile_id(ctx, who: str = "anna") -> int:
    """The id of the account's own profile (`ctx` is the `ctx` fixture)."""
    with ctx():
        return db.session.scalar(select(Profile.id).join(User, Profile.user_id == User.id)
                                 .where(User.email == email_of(who)))


def helped(app, ctx, term: str = "6m") -> tuple[Browser, Browser, int, int]:
    """Louis invites Sophie by e-mail for `term`, she accepts: (louis, sophie, profile, delegation ids)."""
    louis = registered(app, "louis")
    sophie = registered(app, "sophie")
    pid = own_profile_id(ctx, "louis")
    invite(louis, pid, email="sophie@example.fr", term=term)
    with ctx():
        d_id = db.session.scalar(select(Delegation.id))
    sophie.post(f"/invitations/{d_id}/accept", from_url="/")
    return louis, sophie, pid, d_id
