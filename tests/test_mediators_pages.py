"""The mediator's pages: activation figures (counts only), CSV, demo data, and the admin commands."""

import csv
import io
from datetime import timedelta

from companion.extensions import db
from companion.models.account import User
from companion.models.onboarding import AssistedSession, AssistedStep, Structure
from companion.models.types import utcnow

from .cast import mediator_browser


def _sessions(app, structure_name="France Services de Guéret"):
    with app.app_context():
        structure = db.session.query(Structure).filter_by(name=structure_name).one()
        now = utcnow()
        plan = ((1, ("account", "key", "recovery", "profile")), (1, ("account",)), (8, ("account",)))
        for days, done in plan:
            at = now - timedelta(days=days)
            sess = AssistedSession(structure_id=structure.id, code_expires_at=at, created_at=at,
                                   consent_at=at, expires_at=at + timedelta(hours=1), ended_by="")
            sess.steps = [AssistedStep(name=n, status="done") for n in done]
            db.session.add(sess)
        # Not consented: not counted.
        db.session.add(AssistedSession(structure_id=structure.id, code_expires_at=now, created_at=now,
                                       expires_at=now, ended_by=""))
        db.session.commit()


def test_activation_figures_show_a_chart_a_table_and_a_csv_with_counts_only(app):
    mediator, _ = mediator_browser(app)
    _sessions(app)
    page = mediator.get("/mediators/activation")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<svg role="img"' in html and "<table>" in html
    assert "Personnes aidées" in html and "Feuille de secours" in html
    resp = mediator.get("/mediators/activation.csv")
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["week", "week_start", "people_helped", "account", "key", "recovery", "profile",
                       "reminders", "document"]
    assert sum(int(r[2]) for r in rows[1:]) == 3
    assert sum(int(r[3]) for r in rows[1:]) == 3 and sum(int(r[4]) for r in rows[1:]) == 1


def test_figures_of_another_structure_are_not_mixed_in(app):
    _mine, _ = mediator_browser(app)
    _sessions(app)
    other, _ = mediator_browser(app, email="lea@fs.example.fr",
                                structure={"name": "FS Aubusson", "commune": "23008"})
    rows = list(csv.reader(io.StringIO(other.get("/mediators/activation.csv").get_data(as_text=True))))
    assert sum(int(r[2]) for r in rows[1:]) == 0


def test_the_mediator_home_starts_sessions_and_lists_tasks(app):
    mediator, _ = mediator_browser(app)
    page = mediator.get("/mediators/").get_data(as_text=True)
    assert "Commencer une séance d’aide" in page and "Donner un code de récupération" in page


def test_admin_commands_create_a_structure_and_invite_a_mediator(app):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["mediators", "create-structure", "--name", "France Services de Guéret",
                              "--commune", "23096"])
    assert out.exit_code == 0 and "Created structure" in out.output
    again = runner.invoke(args=["mediators", "create-structure", "--name", "France Services de Guéret",
                                "--commune", "23096"])
    assert "already exists" in again.output
    bad = runner.invoke(args=["mediators", "create-structure", "--name", "X", "--commune", "12"])
    assert bad.exit_code != 0
    with app.app_context():
        sid = db.session.query(Structure.id).scalar()
    out = runner.invoke(args=["mediators", "invite", "--structure", str(sid),
                              "--email", "karim@fs.example.fr", "--name", "Karim Benali", "--lead"])
    assert out.exit_code == 0 and "password" in out.output
    with app.app_context():
        user = db.session.query(User).filter_by(email="karim@fs.example.fr").one()
        assert user.role == "mediator" and user.structure_id == sid
        assert db.session.get(Structure, sid).lead_id == user.id


def test_demo_seed_creates_the_gueret_structure_and_is_idempotent(app):
    runner = app.test_cli_runner()
    with app.app_context():
        first = runner.invoke(args=["demo"])
        assert first.exit_code == 0, first.output
        assert "France Services de Guéret" in first.output
        runner.invoke(args=["demo"])
    with app.app_context():
        structure = db.session.query(Structure).one()
        assert structure.commune_code == "23096"
        mediator = db.session.query(User).filter_by(role="mediator").one()
        assert mediator.structure_id == structure.id
        sessions = db.session.query(AssistedSession).all()
        assert len(sessions) == 5 and any(s.ended_at is None or s.status_of("document") == "todo"
                                          for s in sessions)
