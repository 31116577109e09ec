from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, RadioField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional

from ..texts import lazy_gettext as _l
from . import options

SCOPE_LABELS = {
    "documents:read": _l("See the documents"),
    "documents:write": _l("Add and change documents (includes seeing them)"),
    "agenda": _l("Follow the prevention agenda and reminders"),
}
TERM_CHOICES = [("1d", _l("1 day")), ("1m", _l("1 month")), ("6m", _l("6 months")), ("1y", _l("1 year")),
                ("date", _l("Until a date I choose"))]


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class InviteForm(FlaskForm):
    how = RadioField(_l("How do you want to invite them?"), default="email", validators=[DataRequired()],
                     choices=options([
                         ("email", _l("By e-mail address: they see the invitation when they log in")),
                         ("code", _l("With a code to read out or send them"))]))
    email = EmailField(_l("Their e-mail address"), validators=[Optional(), Length(max=254)],
                       description=_l("No Companion account yet? We send them an e-mail with a code "
                                      "to type once they have created one."),
                       render_kw={"autocomplete": "off", "inputmode": "email"})
    label = StringField(_l("Who is it? (for you, with a code)"), validators=[Optional(), Length(max=120)],
                        description=_l("For example: my neighbour Marie."))
    scopes = CheckboxList(_l("What may they do?"), choices=options(SCOPE_LABELS.items()))
    see_hidden = BooleanField(_l("They may also see the documents I hid"))
    term = RadioField(_l("For how long?"), default="1m", choices=options(TERM_CHOICES),
                      validators=[DataRequired()])
    end_date = DateField(_l("End date"), validators=[Optional()])


class RenewForm(FlaskForm):
    term = RadioField(_l("Extend by"), default="1m", choices=options(TERM_CHOICES),
                      validators=[DataRequired()])
    end_date = DateField(_l("End date"), validators=[Optional()])


class ChangeForm(FlaskForm):
    """What a current caregiver may do, changed by the owner (a narrower access ends her shares)."""
    scopes = CheckboxList(_l("What may they do?"), choices=options(SCOPE_LABELS.items()))
    see_hidden = BooleanField(_l("They may also see the documents I hid"))


class CodeForm(FlaskForm):
    code = StringField(_l("Invitation code"), validators=[DataRequired(_l("Enter the code you were given."))],
                       description=_l("12 letters and digits, for example ABCD-EFGH-JKMN."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                  "spellcheck": "false"})


class ButtonForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
