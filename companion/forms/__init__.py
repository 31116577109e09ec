"""Flask-WTF forms; labels go through lazy gettext."""
