"""Forms of "download everything" and of bringing a health summary in."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectMultipleField
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget

from ..texts import lazy_gettext as _l


class StartForm(FlaskForm):
    pass


class ImportForm(FlaskForm):
    file = FileField(_l("Health summary file (.json)"),
                     validators=[FileRequired(_l("Please choose a file."))],
                     description=_l("An IPS file, made by Companion or by other health software."))


class ConfirmForm(FlaskForm):
    plan = HiddenField(validators=[DataRequired()])
    keep = SelectMultipleField(_l("What to add"), coerce=int, validate_choice=False,
                               widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
