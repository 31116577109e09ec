from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..services.emergency_card import BLOOD_GROUPS, MAX_LINE, MAX_TEXT
from ..texts import lazy_gettext as _l
from . import options


def _list(label, hint):
    return TextAreaField(label, validators=[Optional(), Length(max=MAX_TEXT * 5)], description=hint,
                         render_kw={"rows": 3})


class EmergencyCardForm(FlaskForm):
    allergies = _list(_l("Allergies and intolerances"),
                      _l("One a line, for example: penicillin (skin rash)."))
    treatments = _list(_l("Medicines taken now"),
                       _l("One a line, for example: Kardegic 75 mg, 1 each morning."))
    conditions = _list(_l("Illnesses and health problems"), _l("One a line, for example: type 2 diabetes."))
    blood_group = SelectField(_l("Blood group, if known"), validators=[Optional()], validate_choice=False,
                              choices=options([("", _l("I do not know")), *((g, g) for g in BLOOD_GROUPS)]))
    devices = _list(_l("Implanted devices"), _l("One a line, for example: pacemaker, hip prosthesis."))
    contacts = _list(_l("Trusted person and people to call"),
                     _l("One a line: the name, the link and the phone number."))
    languages = StringField(_l("Languages spoken"), validators=[Optional(), Length(max=MAX_LINE)])
    gp = StringField(_l("Family doctor"), validators=[Optional(), Length(max=MAX_LINE)],
                     description=_l("The name and the phone number."))
    directives = TextAreaField(_l("Advance directives"), validators=[Optional(), Length(max=MAX_TEXT)],
                               description=_l("Where to find them, for example: in my documents, or with my "
                                              "daughter."), render_kw={"rows": 2})
    notes = TextAreaField(_l("Anything else to know in an emergency"),
                          validators=[Optional(), Length(max=MAX_TEXT)], render_kw={"rows": 3})


class CounterForm(FlaskForm):
    prescription = SelectField(_l("The current prescription"), coerce=int, validate_choice=False,
                               description=_l("It is shown large, so the pharmacist can scan its code."))
    renewal_on = DateField(_l("To renew on"), validators=[Optional()])
