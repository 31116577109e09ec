from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..texts import lazy_gettext as _l
from . import options

SEX_CHOICES = [("F", _l("Female")), ("M", _l("Male"))]


class ProfileForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(_l("Enter the first name.")),
                                                           Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=80)])
    birth_date = DateField(_l("Birth date"), validators=[Optional()],
                           description=_l("Used to suggest the right check-ups and vaccines."))
    sex = RadioField(_l("Sex"), choices=options(SEX_CHOICES), validators=[Optional()], validate_choice=False)
    ins = StringField(_l("Social security number (INS), if you want"),
                      validators=[Optional(), Length(max=21)],
                      description=_l("15 digits, as on the health card. You can leave it empty."),
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})


class ChildForm(ProfileForm):
    birth_date = DateField(_l("Birth date"), validators=[DataRequired(_l("Enter the child's birth date."))])


class CoOwnerForm(FlaskForm):
    email = EmailField(_l("E-mail address of their Companion account"),
                       validators=[DataRequired(_l("Enter an e-mail address."))],
                       render_kw={"autocomplete": "off", "inputmode": "email"})
    relation = RadioField(_l("This person is"), default="parent", validators=[DataRequired()],
                          choices=options([("parent", _l("the other parent")),
                                           ("guardian", _l("a legal guardian"))]))
