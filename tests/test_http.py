"""Security headers, caching rules, error pages, the PWA files and the health check."""

import tempfile

from flask import abort

from .conftest import make_app


def test_every_response_carries_a_strict_csp_and_security_headers(client):
    for url in ("/login", "/static/js/app.js", "/does-not-exist", "/manifest.webmanifest"):
        h = client.get(url).headers
        csp = h["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "http" not in csp  # no third-party source
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"


def test_the_inline_css_is_allowed_by_its_hash_only(client):
    import base64
    import hashlib
    import re

    resp = client.get("/login")
    css = re.search(r"<style>(.*?)</style>", resp.get_data(as_text=True), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in resp.headers["Content-Security-Policy"]


def test_hsts_only_outside_local_development(client, monkeypatch):
    monkeypatch.setenv("COMPANION_MASTER_KEY", "00" * 32)  # production refuses to start without one
    monkeypatch.setenv("COMPANION_AUDIT_KEY", "11" * 32)
    monkeypatch.setenv("COMPANION_AUDIT_SIGNING_KEY", "22" * 32)
    monkeypatch.setenv("COMPANION_PROOF_SIGNING_KEY", "33" * 32)
    monkeypatch.setenv("COMPANION_VAPID_SUBJECT", "mailto:ops@companion.example")
    assert "Strict-Transport-Security" not in client.get("/login").headers
    with tempfile.TemporaryDirectory() as tmp:
        prod = make_app("sqlite", tmp, ENV_NAME="production",
                        AUDIT_KEY="11" * 32, AUDIT_SIGNING_KEY="22" * 32)
        assert "max-age=" in prod.test_client().get("/healthz").headers["Strict-Transport-Security"]


def test_pages_with_personal_data_are_never_stored(web, client):
    web.register()
    resp = client.get("/")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Anna Petit" in resp.get_data(as_text=True)


def test_error_pages_are_translated_and_keep_the_layout(client):
    resp = client.get("/nowhere")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "Page introuvable" in html and 'class="top"' in html
    client.set_cookie("lang", "en", domain="localhost")
    assert "Page not found" in client.get("/nowhere").get_data(as_text=True)
    client.set_cookie("lang", "fr", domain="localhost")
    resp = client.put("/login")
    assert resp.status_code == 405
    assert "Cette action n’est pas possible ici" in resp.get_data(as_text=True)


def test_json_routes_get_a_json_error_body(client):
    resp = client.get("/api/nothing")
    assert resp.status_code == 404 and resp.get_json()["error"] == 404


def test_a_too_large_body_gets_413(app, client):
    resp = client.post("/login", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
                       headers={"Content-Type": "application/octet-stream"})
    assert resp.status_code == 413
    assert "trop gros" in resp.get_data(as_text=True)


def test_an_unexpected_error_shows_a_calm_500_page(backend):
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app("sqlite", tmp)
        app.config["PROPAGATE_EXCEPTIONS"] = False

        @app.route("/boom")
        def boom():
            raise RuntimeError("kaboom")

        @app.route("/forbidden")
        def forbidden():
            abort(403)

        client = app.test_client()
        resp = client.get("/boom")
        assert resp.status_code == 500
        assert "Rien n’a été perdu" in resp.get_data(as_text=True)
        assert "kaboom" not in resp.get_data(as_text=True)
        assert client.get("/forbidden").status_code == 403


def test_health_check_reports_503_when_the_database_is_unreachable():
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app("sqlite", tmp, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/missing/dir/db.sqlite3")
        resp = app.test_client().get("/healthz")
        assert resp.status_code == 503 and resp.get_json()["status"] == "unavailable"


def test_the_manifest_meets_installability_needs(client):
    m = client.get("/manifest.webmanifest").get_json()
    assert m["display"] == "standalone" and m["start_url"].startswith("/")
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in m["icons"]:
        assert client.get(icon["src"]).status_code == 200
    assert m["name"] and m["short_name"] and m["theme_color"] and m["lang"] in ("fr", "en")


def test_the_service_worker_is_served_at_root_scope_and_always_revalidated(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "application/javascript"
    assert resp.headers["Cache-Control"] == "no-cache"
    body = resp.get_data(as_text=True)
    assert 'const VERSION="' in body and "/offline/fr" in body and "/offline/en" in body


def test_the_worker_version_changes_when_the_app_shell_changes(app, client):
    import re

    from companion import assets

    first = re.search(r'VERSION="(\w+)"', client.get("/sw.js").get_data(as_text=True)).group(1)
    with app.app_context():
        cache = app.extensions["companion_assets"]
        old = cache["css/app.css"]
        cache["css/app.css"] = assets.Asset(old.data + b"/*x*/", "abcdef0123", old.mimetype)
        app.extensions.pop("companion_worker")  # built once per process: the next deployment's
        try:
            second = re.search(r'VERSION="(\w+)"', client.get("/sw.js").get_data(as_text=True)).group(1)
        finally:
            cache["css/app.css"] = old
            app.extensions.pop("companion_worker")
    assert first != second


def test_language_follows_the_browser_then_the_choice(client, web):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    html = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in html
    web.post("/language", {"lang": "en", "next": "/login"}, from_url="/login")
    assert '<html lang="en" dir="ltr">' in client.get("/login").get_data(as_text=True)
