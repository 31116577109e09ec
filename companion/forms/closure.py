from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from ..texts import lazy_gettext as _l


class CloseForm(FlaskForm):
    understood = BooleanField(
        _l("I understand: after this date, everything listed above is deleted for good."),
        validators=[DataRequired(_l("Tick the box to say you understand."))])
