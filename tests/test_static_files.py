"""Static files cost no session and no database work and are compressed once, not per request."""

import gzip
import re

import brotli

from companion.assets import STATIC

from .cast import sign_up
from .statements import counted

BR = {"Accept-Encoding": "br, gzip"}


def _css_url(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', html).group(1)


def test_a_signed_in_static_request_reads_no_session_runs_no_sql_and_sets_no_cookie(app, client, web, ctx):
    url = _css_url(client)
    sign_up(web, ctx)
    with counted(app) as sql:
        resp = client.get(url, headers=BR)
    assert resp.status_code == 200 and sql == []
    assert "Set-Cookie" not in resp.headers
    assert "Cookie" not in resp.headers.get("Vary", "")
    assert resp.headers["Vary"] == "Accept-Encoding"
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_the_service_worker_source_reads_no_session_either(app, client, web, ctx):
    sign_up(web, ctx)
    client.delete_cookie("companion_device")  # a phone not yet given its id reads no session here either
    with counted(app) as sql:
        resp = client.get("/sw.js", headers=BR)
    assert resp.status_code == 200 and sql == []
    assert "Set-Cookie" not in resp.headers and "Cookie" not in resp.headers.get("Vary", "")
    assert resp.headers["Cache-Control"] == "no-cache"


def test_the_service_worker_is_compressed_once_and_a_browser_checking_for_a_new_one_gets_a_304(client):
    """A browser asks for /sw.js again at its navigations: on 2G, the answer while nothing changed is a
    304 with no body, and the worker itself is sent at brotli 11, compressed once per process."""
    first = client.get("/sw.js", headers=BR)
    source = client.get("/sw.js").get_data()
    assert first.headers["Content-Encoding"] == "br" and brotli.decompress(first.get_data()) == source
    assert first.get_data() == brotli.compress(source, quality=11)
    assert first.headers["Service-Worker-Allowed"] == "/" and "Accept-Encoding" in first.headers["Vary"]
    again = client.get("/sw.js", headers={**BR, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/sw.js", headers={**BR, "If-None-Match": '"0123456789"'}).status_code == 200


def test_static_files_are_served_precompressed_at_the_highest_brotli_level(client):
    url = _css_url(client)
    source = (STATIC / "css" / "app.css").read_bytes()
    br = client.get(url, headers=BR)
    assert br.headers["Content-Encoding"] == "br"
    assert br.get_data() == brotli.compress(source, quality=11)
    gz = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.get_data()) == source
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and plain.get_data() == source
    assert client.get(url, headers={"Accept-Encoding": "br;q=0, gzip"}).headers["Content-Encoding"] == "gzip"
    head = client.head(url, headers=BR)
    assert head.get_data() == b"" and head.headers["Content-Length"] == str(len(br.get_data()))


def test_an_unhashed_name_is_revalidated_with_its_etag(client):
    first = client.get("/static/js/app.js")
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get("/static/js/app.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_what_is_not_a_static_file_is_a_404_and_writing_is_refused(client):
    for url in ("/static/nothing.css", "/static/sw/00-core.js", "/static/../config.py", "/static/css/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/static/js/app.js").status_code == 405


def test_pages_are_still_compressed_per_request(client):
    resp = client.get("/login", headers=BR)
    assert resp.headers["Content-Encoding"] == "br"
    assert b"<!doctype html>" in brotli.decompress(resp.get_data())


def test_a_signed_in_page_paints_from_its_first_response(client, web, ctx):
    """Cold (no service worker yet, nothing cached), a page needs no second round trip for its style."""
    pid = sign_up(web, ctx)
    for url in ("/", f"/p/{pid}/agenda", f"/p/{pid}/documents"):
        resp = client.get(url)
        html = resp.get_data(as_text=True)
        assert '<link rel="stylesheet"' not in html and "<style>" in html, url
        css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
        assert css == (STATIC / "css" / "app.css").read_text(), url  # app.css as it is now, read at start
        assert all("defer" in tag or "async" in tag for tag in html.split("<script")[1:]), url
