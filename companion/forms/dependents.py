from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..texts import lazy_gettext as _l
from . import options
from .documents import FILE_ACCEPT
from .onboarding import AccountForm
from .profiles import SEX_CHOICES

BASIS_CHOICES = [
    ("family_carer", _l("Family carer (no court decision)")),
    ("habilitation_familiale", _l("Family authorisation from a judge (habilitation familiale)")),
    ("tutelle", _l("Guardianship (tutelle)")),
    ("curatelle", _l("Curatorship (curatelle)")),
]


class _Basis(FlaskForm):
    legal_basis = RadioField(_l("On what basis do you manage this profile?"), choices=options(BASIS_CHOICES),
                             validators=[DataRequired(_l("Choose the legal basis."))])
    review_on = DateField(_l("Date to check it again"), validators=[DataRequired(_l("Choose a review date "
                                                                                    "after today."))],
                          description=_l("For a court decision, the date it must be renewed. We remind you "
                                         "30 days before."))


class DependentForm(_Basis):
    first_name = StringField(_l("First name"), validators=[DataRequired(_l("Enter the first name.")),
                                                           Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=80)])
    birth_date = DateField(_l("Birth date"), validators=[DataRequired(_l("Enter the birth date of an adult "
                                                                         "(18 or older)."))])
    sex = RadioField(_l("Sex"), choices=options(SEX_CHOICES), validators=[Optional()], validate_choice=False)
    proof = FileField(_l("Proof of the legal basis (PDF or photo)"),
                      validators=[FileRequired(_l("Add the proof of the legal basis (a PDF or a photo)."))],
                      description=_l("The judgement, or for a family carer a signed statement."),
                      render_kw={"accept": FILE_ACCEPT})


class ReviewForm(_Basis):
    pass


class ClaimCodeForm(FlaskForm):
    """The manager's button that makes a code: nothing to fill in but the form token."""


class ClaimForm(AccountForm):
    code = StringField(_l("Code given by the person who manages your profile"),
                       validators=[DataRequired(_l("Enter the code."))],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters"})
