from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import HiddenInput

from ..texts import lazy_gettext as _l
from . import options

FILE_ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


class _Details(FlaskForm):
    title = StringField(_l("Name of the document"), validators=[Length(max=200)],
                        description=_l("For example: Blood test, March. Leave empty to use the type."))
    type_code = SelectField(_l("Type of document"), choices=[])
    care_date = DateField(_l("Date of the care"), validators=[Optional()])
    source = StringField(_l("Who produced it (doctor, laboratory, hospital)"), validators=[Length(max=200)])


class _FileOrParts(FileRequired):
    """The file, or the size of the same file already sent under this request's Idempotency-Key
    (services/upload_parts.py)."""

    def __call__(self, form, field):
        if not form.upload.data:
            super().__call__(form, field)


class UploadForm(_Details):
    file = FileField(_l("File (PDF or photo)"), validators=[_FileOrParts(_l("Please choose a file."))],
                     render_kw={"accept": FILE_ACCEPT})
    # Filled by the page script only, never shown: the size of the file sent before in parts, under this
    # request's Idempotency-Key (services/upload_parts.py), on a weak line.
    upload = IntegerField(widget=HiddenInput(), validators=[Optional()])


class EditForm(_Details):
    # The name the person saw when the form opened: a change made on another device meanwhile is a
    # conflict to show, not something to overwrite in silence (the offline outbox sends it later).
    base_title = HiddenField()


class CdaImportForm(FlaskForm):
    file = FileField(_l("CDA file (.xml)"), validators=[FileRequired(_l("Please choose a file."))],
                     render_kw={"accept": ".xml,text/xml,application/xml"})
    confirm_identity = BooleanField(_l("I confirm this document is about this person"))


class DataSaverForm(FlaskForm):
    data_saver = BooleanField(_l("Data saver: do not download key documents automatically"))
    monthly_cap_mb = SelectField(
        _l("Automatic downloads on each phone, per month"), coerce=int,
        choices=options([(10, _l("At most 10 MB")), (25, _l("At most 25 MB")), (50, _l("At most 50 MB")),
                         (100, _l("At most 100 MB")), (0, _l("No limit"))]))
