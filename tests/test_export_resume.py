"""A 2G line that drops three times: the archive is downloaded from a real HTTP server (the app under
werkzeug, in a thread) by a client that reads some bytes and cuts the connection, then asks for the rest
with a Range and If-Range. The pieces put together are the archive, to the last byte (sha256)."""

import hashlib
import http.client
import socket
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from companion.extensions import db
from companion.models.export import DataExport

from .documents_support import _empty_document_store  # noqa: F401  (each test starts with no blob)
from .export_support import _export_queue, build_export, fill_profile  # noqa: F401


@pytest.fixture
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_port
    srv.shutdown()


def _get(port: int, path: str, cookie: str, headers: dict, keep: int | None = None):
    """One request on its own connection; with `keep`, read that many bytes and drop the line."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": "localhost", "Cookie": cookie, **headers})
    line = conn.sock
    resp = conn.getresponse()
    body = resp.read(keep) if keep is not None else resp.read()
    if keep is not None:  # the line drops mid-transfer: no orderly end of the response
        line.shutdown(socket.SHUT_RDWR)
        line.close()
        resp.close()
    conn.close()
    return resp, body


def test_a_download_cut_three_times_resumes_to_the_same_archive(app, web, claire, server):
    fill_profile(app, claire, "claire@example.fr", big=True)
    link = build_export(web, app, claire)
    cookie = "; ".join(f"{c.key}={c.value}" for c in web.client._cookies.values())
    with app.app_context():
        expected = db.session.scalar(select(DataExport.sha256))

    first, got = _get(server, link, cookie, {}, keep=40_000)
    assert first.status == 200 and len(got) == 40_000
    size, etag = int(first.headers["Content-Length"]), first.headers["ETag"]
    assert size > 500_000 and first.headers["Accept-Ranges"] == "bytes"
    for keep in (150_000, 220_000):  # two more cuts, each after some bytes of a resumed transfer
        resp, piece = _get(server, link, cookie, {"Range": f"bytes={len(got)}-", "If-Range": etag}, keep=keep)
        assert resp.status == 206
        assert resp.headers["Content-Range"] == f"bytes {len(got)}-{size - 1}/{size}"
        got += piece
    resp, rest = _get(server, link, cookie, {"Range": f"bytes={len(got)}-", "If-Range": etag})
    assert resp.status == 206 and len(got) + len(rest) == size
    got += rest
    assert hashlib.sha256(got).hexdigest() == expected == etag.strip('"')
    whole = web.get(link).data
    assert hashlib.sha256(whole).hexdigest() == expected
