"""Demo accounts a newcomer can log in with."""

from flask import current_app

from ..extensions import db
from ..models.profile import Profile
from ..services import accounts

ORDER = 10

# key: (e-mail, display name, role)
PEOPLE = {
    "claire": ("claire@demo.companion.fr", "Claire Martin", "person"),
    "louis": ("louis@demo.companion.fr", "Louis Bernard", "person"),
    "sophie": ("sophie@demo.companion.fr", "Sophie Bernard", "person"),
    "nadia": ("nadia@demo.companion.fr", "Nadia Haddad", "person"),
    "mediator": ("mediateur@demo.companion.fr", "Karim Benali", "mediator"),
}


def seed(ctx) -> list[str]:
    cost = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    lines = [f"Demo accounts (password for all: {ctx.password})"]
    for key, (email, name, role) in PEOPLE.items():
        user = accounts.find_by_email(email)
        if user is None:
            user = accounts.register(email, ctx.password, name, locale="fr", role=role, cost=cost)
        ctx.users[key] = user
        profile = db.session.query(Profile).filter_by(user_id=user.id).one_or_none()
        if profile is not None:
            ctx.profiles[key] = profile
        lines.append(f"  {email:32} {name} ({role})")
    db.session.flush()
    return lines
