"""Texts in the reader's language, the catalog looked up once per request (companion/texts.py): a
language forced for one mail is used inside it and not after; a lazy text is translated when shown."""

from flask_babel import force_locale

from companion import texts


def test_a_forced_language_is_used_inside_and_not_after(app):
    later = texts.lazy_gettext("Log out")
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert texts.gettext("Log out") == "Se déconnecter"
        with force_locale("en"):
            assert texts.gettext("Log out") == "Log out"
            assert str(later) == "Log out"
            assert texts.ngettext("(%(count)s time in that hour)", "(%(count)s times in that hour)", 2,
                                  count="2") == "(2 times in that hour)"
        assert str(later) == "Se déconnecter"
        assert texts.ngettext("(%(count)s time in that hour)", "(%(count)s times in that hour)", 2,
                              count="2") == "(2 fois dans cette heure-là)"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert str(later) == "Log out"  # another request, its own language


def test_outside_a_request_texts_are_in_english(app):
    assert texts.gettext("Log out") == "Log out"


def test_a_macro_imported_without_the_page_context_follows_the_language(app):
    """The size of a document row comes from a macro imported without the page's context: it uses the
    template environment's gettext, which must be this request's language, forced ones included."""
    from flask import render_template_string

    page = '{% from "documents/_macros.html" import size_text %}{{ size_text(2048) }}'
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string(page) == "2\u00a0Ko"
        with force_locale("en"):
            assert render_template_string(page) == "2\u00a0KB"
        assert render_template_string(page) == "2\u00a0Ko"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(page) == "2\u00a0KB"
