"""Flask-WTF forms; labels go through lazy gettext."""

from wtforms.fields.choices import SelectChoice


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the options WTForms expects (plain tuples are going away in 3.4)."""
    return [SelectChoice(value, label) for value, label in pairs]
