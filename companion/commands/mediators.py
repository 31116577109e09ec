"""`flask --app companion mediators ...`: create France Services structures and invite mediators."""

import secrets

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models.onboarding import Structure
from ..services import ServiceError, accounts

group = AppGroup("mediators", help="France Services structures and their mediators.")


@group.command("create-structure")
@click.option("--name", required=True, help='e.g. "France Services de Guéret"')
@click.option("--commune", "commune_code", required=True, help="INSEE commune code, e.g. 23096")
def create_structure(name: str, commune_code: str):
    """Create a structure (or show the existing one with this name)."""
    if not (len(commune_code) == 5 and commune_code[:2].isalnum() and commune_code[2:].isdigit()):
        raise click.BadParameter("a commune code has 5 characters, e.g. 23096 or 2A004",
                                 param_hint="--commune")
    structure = db.session.scalar(select(Structure).where(Structure.name == name.strip()))
    if structure is None:
        structure = Structure(name=name.strip()[:160], commune_code=commune_code)
        db.session.add(structure)
        db.session.commit()
        click.echo(f"Created structure {structure.id}: {structure.name} ({structure.commune_code})")
    else:
        click.echo(f"Structure {structure.id} already exists: {structure.name} ({structure.commune_code})")


@group.command("invite")
@click.option("--structure", "structure_id", type=int, required=True, help="structure id")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--lead", is_flag=True, help="this mediator leads the structure (sees the recovery-code log)")
def invite(structure_id: int, email: str, display_name: str, lead: bool):
    """Create a mediator account with a one-time password to give in person; they must add a key first."""
    structure = db.session.get(Structure, structure_id)
    if structure is None:
        raise click.BadParameter("no structure with this id", param_hint="--structure")
    user = accounts.find_by_email(email)
    password = None
    if user is None:
        password = "-".join(secrets.token_hex(3) for _ in range(4))
        cost = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
        try:
            user = accounts.register(email, password, display_name, role="mediator", cost=cost)
        except ServiceError as exc:
            raise click.ClickException(str(exc.message)) from exc
    elif user.role != "mediator":
        raise click.ClickException("this e-mail belongs to a person's account; use another address")
    user.structure_id = structure.id
    if lead:
        structure.lead_id = user.id
    db.session.commit()
    click.echo(f"{user.email} is a mediator of {structure.name}" + (" (lead)" if lead else ""))
    if password:
        click.echo(f"Temporary password (give it in person; it can be changed in My account): {password}")
        click.echo("At first login they must register a security key before anything else.")


def register(app):
    app.cli.add_command(group)
