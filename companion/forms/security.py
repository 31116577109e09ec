from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..texts import lazy_gettext as _l


class RecoveryLoginForm(FlaskForm):
    code = StringField(
        _l("Code from my recovery sheet"),
        validators=[DataRequired(_l("Type a code from your recovery sheet."))],
        description=_l("10 letters and numbers, for example 7KQ4M-XR92T. Capitals and dashes do not matter."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"},
    )


class RenameKeyForm(FlaskForm):
    name = StringField(
        _l("Name of the key"), validators=[DataRequired(_l("Give this key a name.")), Length(max=60)]
    )


class ActionForm(FlaskForm):
    """A button that changes something (remove a key, new codes, sign out elsewhere): CSRF only."""

    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a password."))],
        description=_l("At least 8 characters. A short sentence is easy to remember."),
        render_kw={"autocomplete": "new-password"},
    )


class TimeZoneForm(FlaskForm):
    """Where the person lives (services/time_zones.py checks the choice)."""

    timezone = SelectField(
        _l("Where I live"), validate_choice=False,
        description=_l("Dates, the agenda and the hours of reminders follow the time there."))
