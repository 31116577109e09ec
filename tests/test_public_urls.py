"""Links that leave the browser come from COMPANION_PUBLIC_ORIGIN, never from the Host header: a request
with `Host: evil.example` must not put that site into a calendar file or a QR code. The requests here
go to http://localhost (where the session cookie lives): the link must still name the public origin."""

from .test_onboarding_flow import mediator_browser, start_session

REQUEST_HOST = "localhost"
PUBLIC = "https://compagnon.example.fr"


def test_the_ics_link_ignores_a_forged_host_header(app, client, claire, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_ORIGIN", PUBLIC)
    resp = client.get(f"/p/{claire}/agenda/DO_BREAST.ics")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True).replace("\r\n ", "")  # unfold the long lines
    assert f"//{REQUEST_HOST}" not in text
    assert f"URL:{PUBLIC}/p/{claire}/agenda" in text


def test_the_qr_join_link_ignores_a_forged_host_header(app, monkeypatch):
    from markupsafe import Markup

    from companion.views import mediators

    monkeypatch.setitem(app.config, "PUBLIC_ORIGIN", PUBLIC)
    encoded = []  # what the QR code carries (the picture itself is not decoded here)
    monkeypatch.setattr(mediators, "_qr_svg",
                        lambda url: encoded.append(url) or Markup('<svg role="img"></svg>'))
    mediator, _ = mediator_browser(app)
    code, sid = start_session(mediator)
    assert encoded[-1] == f"{PUBLIC}/onboarding/join?code={code}"
