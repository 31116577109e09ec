"""Easy-read summaries (FALC, issue 14): a few short sentences at the top of the agenda, the access
log and the caregiver pages, computed from the person's own data, in both languages."""

import re
from datetime import date, timedelta

from companion.extensions import db
from companion.models.profile import Profile
from companion.prevention import load_rules

from .cast import delegate, registered, sign_up
from .test_agenda_views import section


def in_short(html: str) -> list[str]:
    """The sentences of the summary, which comes before everything else on the page."""
    box = re.search(r'<section class="easy-read"[^>]*>\s*<h2[^>]*>(En bref|In short)</h2>\s*<ul>(.*?)</ul>',
                    html, re.S)
    assert box, "no easy-read summary"
    top = html[html.index("</h1>"):html.index('class="easy-read"')]
    assert "<h2" not in top and "<li" not in top  # right under the title, before anything else
    sentences = re.findall(r"<li>(.*?)</li>", box.group(2), re.S)
    assert 2 <= len(sentences) <= 5, sentences
    for s in sentences:  # short sentences: a line or two on a phone
        assert len(s.split()) <= 16, s
    return sentences


def _vaccines_now(html: str) -> int:
    rules = load_rules()
    ids = re.findall(r'data-rule="([A-Z0-9_]+)"', section(html, "now"))
    return sum(1 for i in ids if rules[i].kind == "vaccine")


def test_a_babys_agenda_says_how_many_vaccines_are_to_do_and_which_first(web, ctx):
    pid = sign_up(web, ctx)
    with ctx():
        db.session.get(Profile, pid).birth_date = date.today() - timedelta(days=75)
        db.session.commit()
    html = web.get(f"/p/{pid}/agenda").get_data(as_text=True)
    said = in_short(html)
    count = _vaccines_now(html)
    assert count >= 2 and said[0] == f"{count} vaccins sont à faire.", said
    assert any(s.startswith("Le premier\u00a0: Vaccin 6 en 1") for s in said), said
    web.post("/language", {"lang": "en", "next": "/"}, from_url="/")
    said = in_short(web.get(f"/p/{pid}/agenda").get_data(as_text=True))
    assert said[0] == f"{count} vaccines are to do.", said


def test_with_nothing_to_do_the_agenda_says_so_and_names_the_next_one(web, ctx):
    pid = sign_up(web, ctx)
    with ctx():
        # The first vaccines come at 2 months.
        db.session.get(Profile, pid).birth_date = date.today() - timedelta(days=10)
        db.session.commit()
    html = web.get(f"/p/{pid}/agenda").get_data(as_text=True)
    assert "data-rule=" not in section(html, "now")
    said = in_short(html)
    assert said[0] == "Rien n’est à faire en ce moment."
    assert said[1].startswith("Le prochain\u00a0: ") and " à partir du " in said[1], said


def test_the_access_log_summary_counts_people_and_refusals(web, ctx, app):
    pid = sign_up(web, ctx, "louis")
    sophie = registered(app, "sophie")
    delegate(ctx, pid, "sophie", "documents:read")
    sophie.get(f"/p/{pid}/documents")
    registered(app, "nadia").get(f"/p/{pid}/documents")  # a stranger: refused
    said = in_short(web.get(f"/p/{pid}/access-log").get_data(as_text=True))
    assert said[0].startswith("Cette page montre ")
    assert "1 autre personne apparaît ici." in said, said
    assert "1 fois, quelqu’un a été refusé. Il n’a rien vu." in said, said
    assert any(s.startswith("Le plus récent\u00a0: ") for s in said)


def test_the_caregiver_pages_say_who_helps_and_until_when(web, ctx, app):
    pid = sign_up(web, ctx, "louis")
    sophie = registered(app, "sophie")
    said = in_short(web.get(f"/p/{pid}/caregivers").get_data(as_text=True))
    assert said[0] == "Personne n’aide pour ce profil en ce moment."
    delegate(ctx, pid, "sophie", "documents:read")
    said = in_short(web.get(f"/p/{pid}/caregivers").get_data(as_text=True))
    assert said[0] == "1 personne vous aide en ce moment."
    assert said[1].startswith("Le premier accès qui se termine\u00a0: Sophie Bernard, le "), said
    said = in_short(sophie.get("/caregiving").get_data(as_text=True))
    assert said[0] == "Vous aidez 1 personne."
    assert said[1].startswith("Votre accès pour Louis Bernard se termine le "), said
