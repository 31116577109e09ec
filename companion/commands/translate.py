"""`flask translate extract|update|compile|fill`: the catalog workflow (pybabel under the hood)."""

import subprocess
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..config import PROJECT_ROOT
from ..i18n import TRANSLATIONS, catalog_lock, compile_catalogs, fill_catalog, fill_source_catalog

group = AppGroup("translate", help="Extract, update, fill and compile the fr and en catalogs.")
POT = TRANSLATIONS / "messages.pot"


def _pybabel(*args: str) -> None:
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), *args], check=True, cwd=PROJECT_ROOT)


def _extract() -> None:
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
             "--sort-output", "-o", str(POT), "companion")


@group.command("extract")
def extract():
    """Collect every translatable string into translations/messages.pot."""
    with catalog_lock():
        _extract()


@group.command("update")
def update():
    """Extract, then merge new strings into each language's .po (new French ones need a translation;
    English, the language they are written in, is filled in)."""
    with catalog_lock():
        _extract()
        for lang in ("fr", "en"):
            po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
            if po.exists():
                _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", lang,
                         "--no-fuzzy-matching", "--width=100")
            else:
                _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", lang, "--width=100")
    fill_source_catalog("en")
    click.echo("catalogs updated")


@group.command("fill")
@click.argument("locale")
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False))
def fill(locale, mapping):
    """Set translations from a JSON object {english: translation}."""
    click.echo(f"{fill_catalog(locale, mapping)} entries set in {locale}")


@group.command("compile")
def compile_():
    """Compile .po files into .mo (make setup, test, e2e and bench run this; the app does not)."""
    for path in compile_catalogs(force=True):
        click.echo(f"compiled {path}")


def register(app):
    app.cli.add_command(group)
