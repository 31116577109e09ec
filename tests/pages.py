"""Walking the app's pages: every GET route without arguments, plus /p/<profile_id>/... routes
filled with the signed-in person's own profile."""

from companion.extensions import db
from companion.models.profile import Profile

SKIP = {"assets.static_file", "main.service_worker", "main.manifest", "main.healthz"}


def page_urls(app, client, email: str | None = None) -> list[str]:
    profile_id = None
    if email:
        with app.app_context():
            from companion.models.account import User

            user = db.session.query(User).filter_by(email=email).one()
            profile_id = db.session.query(Profile.id).filter_by(user_id=user.id).scalar()
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        args = set(rule.arguments)
        if not args:
            urls.append(rule.rule)
        elif args == {"profile_id"} and profile_id:
            urls.append(rule.rule.replace("<int:profile_id>", str(profile_id)))
        elif args == {"lang"}:
            urls += [rule.rule.replace("<lang>", "fr"), rule.rule.replace("<lang>", "en")]
    return sorted(set(urls))
