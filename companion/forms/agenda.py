from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..texts import lazy_gettext as _l
from . import options


class DoneForm(FlaskForm):
    done_on = DateField(_l("Date it was done"), validators=[DataRequired(_l("Enter a date."))])


class SnoozeForm(FlaskForm):
    weeks = SelectField(_l("Remind me again in"), choices=options([
        ("1", _l("1 week")), ("4", _l("1 month")), ("13", _l("3 months")), ("26", _l("6 months"))]),
        default="4")


class DismissForm(FlaskForm):
    reason = StringField(_l("Reason (optional, only you and your caregivers see it)"),
                         validators=[Optional(), Length(max=200)])


class ReopenForm(FlaskForm):
    pass


class PersonalReminderForm(FlaskForm):
    kind = RadioField(_l("What is it?"), default="appointment", choices=options([
        ("appointment", _l("An appointment")), ("medicine", _l("A medicine to take"))]))
    title = StringField(
        _l("Name"), validators=[DataRequired(_l("Give this reminder a name.")), Length(max=120)],
        description=_l("For example: dentist, Doliprane. It never appears on the lock screen."))
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    at = TimeField(_l("Time"), validators=[DataRequired(_l("Enter a time."))])
    repeat = SelectField(_l("Repeat"), default="", choices=options([
        ("", _l("Does not repeat")), ("daily", _l("Every day")), ("weekly", _l("Every week")),
        ("monthly", _l("Every month"))]))
    until_on = DateField(_l("Last date (optional)"), validators=[Optional()])
    notes = TextAreaField(_l("Notes (optional)"), validators=[Optional(), Length(max=1000)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PreferencesForm(FlaskForm):
    batching = RadioField(_l("How many messages"), default="daily", choices=options([
        ("daily", _l("One message a day, for everyone I look after")),
        ("each", _l("One message for each reminder"))]))
    profiles = MultiCheckboxField(_l("Send me reminders for"), coerce=int, validate_choice=False)
    quiet_start = TimeField(_l("Quiet from"), validators=[DataRequired(_l("Enter a time."))])
    quiet_end = TimeField(_l("Quiet until"), validators=[DataRequired(_l("Enter a time."))])
    prevention_leads = MultiCheckboxField(_l("For vaccines and check-ups"), coerce=int, choices=options([
        (20160, _l("2 weeks before")), (10080, _l("1 week before")), (1440, _l("the day before")),
        (0, _l("on the day"))]))
    appointment_leads = MultiCheckboxField(_l("For appointments"), coerce=int, choices=options([
        (1440, _l("the day before")), (120, _l("2 hours before")), (30, _l("30 minutes before"))]))
