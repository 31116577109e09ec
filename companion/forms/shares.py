from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectMultipleField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..texts import lazy_gettext as _l
from . import options

LIFETIME_CHOICES = [("15m", _l("15 minutes")), ("1h", _l("1 hour")), ("1d", _l("1 day")),
                    ("3d", _l("3 days")), ("7d", _l("7 days"))]


class ShareForm(FlaskForm):
    card = BooleanField(_l("The emergency card"), default=True)
    documents = SelectMultipleField(_l("Documents (up to 5)"), coerce=int, validate_choice=False,
                                    widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    vaccinations = BooleanField(_l("The vaccinations done"))
    lifetime = RadioField(_l("The link works for"), default="1d", choices=options(LIFETIME_CHOICES))
    passcode = PasswordField(_l("A passcode, if you want"), validators=[Optional(), Length(max=40)],
                             description=_l("4 characters or more. Tell it to the health professional "
                                            "aloud; after 5 wrong tries the link stops."),
                             render_kw={"autocomplete": "off"})
