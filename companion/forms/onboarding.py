"""Forms of the assisted onboarding (the person's side and the mediator's side)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..texts import lazy_gettext as _l
from . import options
from .auth import browser_zone


class JoinForm(FlaskForm):
    code = StringField(_l("The code your advisor gives you"),
                       validators=[DataRequired(_l("Enter the 6 digits of the code."))],
                       description=_l("6 digits, shown on your advisor's screen."),
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 12})
    shared_computer = BooleanField(_l("I am on the France Services computer, not on my own phone"))


class ConsentForm(FlaskForm):
    pass  # the two buttons carry the answer


class AccountForm(FlaskForm):
    display_name = StringField(_l("Your first and last name"),
                               validators=[DataRequired(_l("Enter your first name.")), Length(max=120)],
                               render_kw={"autocomplete": "name"})
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))],
                       render_kw={"autocomplete": "email", "inputmode": "email"})
    password = PasswordField(_l("Choose a password"), validators=[Optional()],
                             description=_l("At least 8 characters. A short sentence is easy to remember. "
                                            "You may leave it empty and use only your phone as a key."),
                             render_kw={"autocomplete": "new-password"})
    timezone = browser_zone()

    def keep_nothing(self) -> "AccountForm":
        """On a shared computer the browser is asked not to offer her name and address to the next person
        (the wipe at the end does not reach what the browser keeps of forms)."""
        for f in (self.display_name, self.email):
            f.render_kw = {**(f.render_kw or {}), "autocomplete": "off"}
        return self


class StepForm(FlaskForm):
    pass  # done / skip buttons


class ProfileStepForm(FlaskForm):
    birth_date = DateField(_l("Your birth date"), validators=[DataRequired(_l("Enter your birth date."))])
    sex = RadioField(_l("Your sex (as on your health card)"),
                     choices=options([("F", _l("Female")), ("M", _l("Male"))]),
                     validators=[DataRequired(_l("Choose one of the answers."))])


class RecoverForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))],
                       render_kw={"autocomplete": "username", "inputmode": "email"})
    code = StringField(_l("The recovery code your advisor gave you"),
                       validators=[DataRequired(_l("Enter the code."))],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"})
    password = PasswordField(_l("Choose a new password"), validators=[DataRequired(_l("Choose a password."))],
                             description=_l("At least 8 characters. A short sentence is easy to remember."),
                             render_kw={"autocomplete": "new-password"})


class IssueRecoveryForm(FlaskForm):
    email = EmailField(_l("The person's e-mail address"),
                       validators=[DataRequired(_l("Enter the person's e-mail address."))],
                       render_kw={"autocomplete": "off", "inputmode": "email"})
    identity_checked = BooleanField(
        _l("I checked an identity document of this person, in person"),
        validators=[DataRequired(_l("Check an identity document in person first."))])
