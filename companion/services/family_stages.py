"""A child's profile as the child grows up: the stages, and the periodic job that moves them.

Stages (Profile.stage), each announced and logged once, in this order (ages in the config; sources in
docs/family-ages.md):
- "teen_soon": FAMILY_NOTICE_MONTHS before FAMILY_TEEN_AGE. The parents are told (home page and e-mail)
  and may make the teen's single-use login code (services/teen_codes.py).
- "teen": from FAMILY_TEEN_AGE. Once the teen has their own login (Profile.parents_narrowed), the parents
  see only what the teen agrees to (Profile.parent_scopes, the agenda with its vaccinations by default)
  and nothing the teen hid; services/access.py gives them the role "parent".
- "adult_soon": FAMILY_NOTICE_MONTHS before FAMILY_ADULT_AGE: parents and the young person are told.
- "adult": at FAMILY_ADULT_AGE the profile is the young adult's alone. The parents stop being owners;
  those the young adult chose to keep (Profile.keep_parents) become caregivers with the same scopes, for
  a year, ended like any delegation.

Each step moves the stage with a compare-and-swap (`UPDATE ... WHERE stage = :old`), so two runs of the
job, or the job and a teen acting at the same moment, never do a step twice; the step's log entries and
e-mails are written in the same transaction. No message names any health detail.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from ..extensions import db
from ..models.account import User
from ..models.delegation import Delegation
from ..models.profile import Profile, ProfileOwner
from ..models.types import utcnow
from . import agenda_store, audit, mail, shares
from .agenda import add_months

log = logging.getLogger("companion.family")
ORDER = ("", "teen_soon", "teen", "adult_soon", "adult")
ALLOWED_PARENT_SCOPES = ("agenda", "documents:read")
KEEP_FOR_MONTHS = 12


@dataclass(frozen=True)
class Ages:
    teen: int
    adult: int
    notice_months: int

    @classmethod
    def from_config(cls) -> "Ages":
        cfg = current_app.config
        return cls(cfg["FAMILY_TEEN_AGE"], cfg["FAMILY_ADULT_AGE"], cfg["FAMILY_NOTICE_MONTHS"])

    def dates(self, birth: date) -> dict[str, date]:
        """The day each stage begins for someone born on `birth`."""
        teen, adult = add_months(birth, 12 * self.teen), add_months(birth, 12 * self.adult)
        return {"teen_soon": add_months(teen, -self.notice_months), "teen": teen,
                "adult_soon": add_months(adult, -self.notice_months), "adult": adult}

    def stage_on(self, birth: date, today: date) -> str:
        reached = [s for s, day in self.dates(birth).items() if day <= today]
        return reached[-1] if reached else ""


def parents(profile_id: int) -> list[User]:
    """The owners who are not the person: parents and guardians."""
    return list(db.session.scalars(select(User).join(ProfileOwner, ProfileOwner.user_id == User.id).where(
        ProfileOwner.profile_id == profile_id, ProfileOwner.relation != "self").order_by(User.id)))


def _move(profile: Profile, old: str, new: str, now: datetime) -> bool:
    """Compare-and-swap the stage: only one of two concurrent movers wins."""
    moved = db.session.execute(update(Profile).where(Profile.id == profile.id, Profile.stage == old)
                               .values(stage=new, stage_at=now).execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
        return False
    db.session.refresh(profile)
    return True


def _tell(users: list[User], kind: str, **params) -> None:
    for user in users:
        mail.queue(user.email, user.locale, kind, tz=user.timezone, name=user.display_name, **params)


def _log(profile: Profile, action: str, now: datetime, label: str = "") -> None:
    audit.record(actor=None, actor_role="system", action=action, profile_id=profile.id, object_label=label,
                 at=now)


def _teen_account(profile: Profile) -> list[User]:
    user = db.session.get(User, profile.user_id) if profile.user_id else None
    return [user] if user else []


def _step(profile: Profile, stage: str, ages: Ages, now: datetime) -> None:
    """What entering `stage` does, besides the stage itself (already moved)."""
    day = ages.dates(profile.birth_date)  # type: ignore[arg-type]  # only profiles with a birth date move
    link = mail.public_url(f"/p/{profile.id}/growing-up")
    name = profile.first_name
    if stage == "teen_soon":
        _log(profile, "family.teen_soon", now, day["teen"].isoformat())
        _tell(parents(profile.id), "teen_soon_parent", person=name, date=day["teen"], link=link)
    elif stage == "teen":
        _log(profile, "family.teen", now)
        if profile.parents_narrowed:
            note_narrowed(profile, now)
        _tell(parents(profile.id), "teen_now_parent", person=name, link=link)
        _tell(_teen_account(profile), "teen_now_teen", link=link)
    elif stage == "adult_soon":
        _log(profile, "family.adult_soon", now, day["adult"].isoformat())
        _tell(parents(profile.id) + _teen_account(profile), "adult_soon", person=name,
              date=day["adult"], link=link)
    elif stage == "adult":
        become_adult(profile, now)


def note_narrowed(profile: Profile, now: datetime) -> None:
    """The parents now see only what the teen agrees to: logged, and the shares with a health
    professional they made as owners end (what they could share then, they may not see now)."""
    _log(profile, "family.parents_narrowed", now, profile.parent_scopes)
    shares.end_made_by(profile.id, [p.id for p in parents(profile.id)], now)


def become_adult(profile: Profile, now: datetime) -> None:
    """The parents stop being owners; those the young adult chose to keep become caregivers. A young
    adult with no login yet cannot hold the profile: the parents keep it (nobody else could reach it)
    until the young adult joins with a code, which then hands it over (teen_codes._attach)."""
    former = parents(profile.id)
    if profile.user_id is None:
        _log(profile, "family.adult_waiting", now)
        _tell(former, "adult_waiting_parent", person=profile.first_name,
              link=mail.public_url(f"/p/{profile.id}/growing-up"))
        return
    shares.end_made_by(profile.id, [p.id for p in former], now)
    db.session.execute(delete(ProfileOwner).where(ProfileOwner.profile_id == profile.id,
                                                  ProfileOwner.relation != "self"))
    _log(profile, "family.adult", now)
    kept = profile.keep_parents and profile.user_id is not None
    scopes = " ".join(s for s in profile.parent_scopes.split() if s in ALLOWED_PARENT_SCOPES) or "agenda"
    for parent in former:
        if kept:
            d = Delegation(profile_id=profile.id, caregiver_id=parent.id, granted_by_id=profile.user_id,
                           scopes=scopes, created_at=now, accepted_at=now, label="",
                           expires_at=datetime.combine(add_months(now.date(), KEEP_FOR_MONTHS), now.timetz()))
            db.session.add(d)
            db.session.flush()
            audit.record(actor=None, actor_role="system", action="family.parent_kept", profile_id=profile.id,
                         object_type="delegation", object_id=d.id, object_label=parent.display_name, at=now)
        else:
            audit.record(actor=None, actor_role="system", action="family.parent_ended", profile_id=profile.id,
                         object_type="account", object_id=parent.id, object_label=parent.display_name, at=now)
    _tell(former, "adult_now_parent", person=profile.first_name, kept="yes" if kept else "no",
          link=mail.public_url("/"))
    _tell(_teen_account(profile), "adult_now_teen", link=mail.public_url(f"/p/{profile.id}/caregivers"))


def made_for_a_minor(profile: Profile, ages: Ages) -> bool:
    """Only a child's profile grows up: an adult's profile with a guardian or a family carer (made when
    they were already of age) never loses them to these steps."""
    assert profile.birth_date is not None
    return profile.stage != "" or profile.created_at.date() < ages.dates(profile.birth_date)["adult"]


def due_profiles(today: date, ages: Ages):
    """Children's profiles (a parent or guardian among the owners, or a stage already begun) old
    enough for a stage they have not reached: the only ones the job loads."""
    oldest_child = add_months(today, -12 * ages.teen + ages.notice_months)
    has_parent = select(ProfileOwner.profile_id).where(ProfileOwner.relation != "self")
    return (select(Profile).where(Profile.birth_date.is_not(None), Profile.birth_date <= oldest_child,
                                  Profile.stage != "adult",
                                  or_(Profile.id.in_(has_parent), Profile.stage != ""))
            .order_by(Profile.id))


def _home_zone(profile: Profile):
    """Where the child lives: the young person's own account's place, else the first parent's. A birthday
    begins at midnight there: in Guadeloupe, midnight in Paris is still 7 pm the day before."""
    people = _teen_account(profile) or parents(profile.id)
    return agenda_store.zone(people[0].timezone if people else "")


def advance(profile: Profile, now: datetime, ages: Ages | None = None) -> list[str]:
    """Move one profile through every stage it has reached (a profile made at 16 gets the teen notice and
    the teen step at once, in order). Flushes; the caller commits. Returns the stages entered."""
    ages = ages or Ages.from_config()
    if profile.birth_date is None or not made_for_a_minor(profile, ages):
        return []
    target = ages.stage_on(profile.birth_date, now.astimezone(_home_zone(profile)).date())
    entered = []
    while ORDER.index(profile.stage) < ORDER.index(target):
        old = profile.stage
        new = ORDER[ORDER.index(old) + 1]
        if not _move(profile, old, new, now):
            break  # someone else moved it: their step did the work
        _step(profile, new, ages, now)
        entered.append(new)
    db.session.flush()
    return entered


def run(now: datetime | None = None) -> int:
    """The periodic job: every profile due a stage moves, each in its own transaction. Returns the
    number of stages entered."""
    now = now or utcnow()
    ages = Ages.from_config()
    # The day after UTC's: no place listed is 24 hours ahead, so every child whose birthday has begun
    # where they live is among these (`advance` moves only those whose day has come there).
    ids = list(db.session.scalars(due_profiles(now.astimezone(UTC).date() + timedelta(days=1), ages)
                                  .with_only_columns(Profile.id)))
    db.session.commit()
    count = 0
    for pid in ids:
        profile = db.session.get(Profile, pid)
        if profile is None:
            continue
        try:
            count += len(advance(profile, now, ages))
            db.session.commit()
        except Exception:  # one profile's failure must not hold the others back: the next run retries it
            db.session.rollback()
            log.exception("family stage of profile %s failed", pid)
            continue
        mail.send_queued()
    return count


def next_change(profile: Profile, ages: Ages | None = None) -> tuple[str, date] | None:
    """The next stage and its day, for the pages."""
    if profile.birth_date is None or profile.stage == "adult":
        return None
    ages = ages or Ages.from_config()
    days = ages.dates(profile.birth_date)
    later = [s for s in ORDER[ORDER.index(profile.stage) + 1:] if s in days]
    return (later[0], days[later[0]]) if later else None


@dataclass(frozen=True)
class Notice:
    """A card on the home page: `for_teen` when it is the person's own profile."""

    profile: Profile
    stage: str
    day: date | None  # the next stage's day (None once the teen age has begun and before the notice)
    for_teen: bool
    has_login: bool
    can_manage: bool


def notices(user: User, accesses) -> list[Notice]:
    """What the home page says about children growing up: to the parents, and to the teen."""
    ages = Ages.from_config()
    found = []
    for access in accesses:
        profile = access.profile
        if access.role == "caregiver" or profile.stage not in ("teen_soon", "teen", "adult_soon"):
            continue
        nxt = next_change(profile, ages)
        found.append(Notice(profile, profile.stage, nxt[1] if nxt else None, profile.user_id == user.id,
                            profile.user_id is not None, access.allows("manage")))
    return found

