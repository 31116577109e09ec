from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from ..texts import lazy_gettext as _l
from . import options
from .caregivers import CheckboxList

PARENT_VIEW_LABELS = {
    "agenda": _l("The prevention agenda: vaccines and check-ups"),
    "documents:read": _l("The documents (except those you hide)"),
}


class TeenCodeForm(FlaskForm):
    code = StringField(_l("Your login code"), validators=[DataRequired(_l("Type the code.")), Length(max=40)],
                       description=_l("12 letters and numbers, given by your parents. Dashes do not matter."))


class MakeCodeForm(FlaskForm):
    """A button: its only field is the CSRF token."""


class ParentViewForm(FlaskForm):
    scopes = CheckboxList(_l("What your parents can see"), choices=options(PARENT_VIEW_LABELS.items()))
    keep_parents = BooleanField(_l("After my 18th birthday, my parents keep seeing this for one year "
                                   "(I can end it at any time)"))
