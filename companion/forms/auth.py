from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..texts import lazy_gettext as _l


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))],
                       render_kw={"autocomplete": "username webauthn", "inputmode": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    shared_computer = BooleanField(
        _l("I am on a shared computer (France Services, library, family computer)")
    )
    next = HiddenField()


def browser_zone() -> HiddenField:
    """The browser's time zone, filled by js/app.js: an account opened overseas starts on its time."""
    return HiddenField(render_kw={"data-browser-zone": ""})


class RegisterForm(FlaskForm):
    display_name = StringField(_l("Your first and last name"),
                               validators=[DataRequired(_l("Enter your first name.")), Length(max=120)],
                               render_kw={"autocomplete": "name"})
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Enter your e-mail address."))],
                       render_kw={"autocomplete": "email", "inputmode": "email"})
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(_l("Choose a password."))],
                             description=_l("At least 8 characters. A short sentence is easy to remember."),
                             render_kw={"autocomplete": "new-password"})
    timezone = browser_zone()


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address of your account"),
                       validators=[DataRequired(_l("Enter your e-mail address."))],
                       render_kw={"autocomplete": "username", "inputmode": "email"})
