from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from ..texts import lazy_gettext as _l


class FilterForm(FlaskForm):
    """A GET form: it changes nothing, so no CSRF token (and a link to it can be shared)."""

    class Meta:
        csrf = False

    who = SelectField(_l("Who"), choices=[], validators=[Optional()], validate_choice=False)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
