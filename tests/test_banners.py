"""Banners leave the first screen to the person's own things (issue 14): shown in full once per
sign-in, then in one line; the page's direction comes from its language."""



from .cast import helped

FULL_KEY = "Protégez votre espace\u00a0: ajoutez votre téléphone comme clé."
SHORT_KEY = "Protégez votre espace\u00a0: ajoutez une clé"


def test_the_key_banner_is_shown_in_full_once_then_in_one_line(app, web):
    web.register()
    first = web.get("/").get_data(as_text=True)
    assert FULL_KEY in first
    again = web.get("/on-this-phone").get_data(as_text=True)
    assert FULL_KEY not in again and SHORT_KEY in again


def test_the_caregiver_banner_becomes_one_line(app, ctx):
    louis, sophie, pid, d_id = helped(app, ctx)
    first = sophie.get(f"/p/{pid}/").get_data(as_text=True)
    assert "Vous agissez pour Louis Bernard" in first
    again = sophie.get(f"/p/{pid}/agenda").get_data(as_text=True)
    assert "Vous agissez pour" not in again and "Pour Louis Bernard" in again


def test_the_page_direction_follows_the_language(web):
    assert '<html lang="fr" dir="ltr">' in web.get("/login").get_data(as_text=True)
