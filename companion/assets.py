"""Static files under content-hashed names with a one-year immutable lifetime, served before Flask, and
the service worker assembled from its per-feature parts (static/sw/*.js, in name order).

A static file needs no session, no database and no per-request compression: `StaticFiles` answers
/static/ in front of the Flask app (none of its hooks run, so no cookie is read or set and no
`Vary: Cookie` is added), from bytes read once and compressed once (brotli 11 and gzip 9) when the
process starts. JavaScript is served without its comments and layout (rjsmin): the comments explain the
code to its readers, and on 2G every byte counts."""

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

import brotli
import rjsmin
from flask import current_app
from werkzeug.http import parse_accept_header, quote_etag, unquote_etag

STATIC = Path(__file__).resolve().parent / "static"
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")
YEAR = 31536000
IMMUTABLE = f"public, max-age={YEAR}, immutable"
TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/manifest+json",
              "image/svg+xml")
# Compressed once per content, whichever app or worker asks: brotli 11 costs ~80 ms per 10 KB.
_COMPRESSED: dict[tuple[str, str], bytes] = {}


@dataclass(frozen=True)
class Asset:
    data: bytes
    digest: str
    mimetype: str
    br: bytes | None = None
    gz: bytes | None = None


def _compressed(data: bytes, kind: str) -> bytes:
    key = (hashlib.sha256(data).hexdigest(), kind)
    if key not in _COMPRESSED:
        _COMPRESSED[key] = brotli.compress(data, quality=11) if kind == "br" else gzip.compress(
            data, compresslevel=9, mtime=0)
    return _COMPRESSED[key]


def _load(rel: str) -> Asset | None:
    path = (STATIC / rel).resolve()
    if STATIC not in path.parents or not path.is_file():
        return None
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mime in ("text/javascript", "application/javascript"):
        return make_asset(minified(path.read_text()).encode(), "application/javascript")
    return make_asset(path.read_bytes(), mime)


def minified(source: str) -> str:
    return rjsmin.jsmin(source)


def make_asset(data: bytes, mime: str) -> Asset:
    digest = hashlib.sha256(data).hexdigest()[:10]
    if not mime.startswith(TEXT_TYPES) or len(data) < 256:
        return Asset(data, digest, mime)
    br, gz = _compressed(data, "br"), _compressed(data, "gz")
    # An encoding that does not save bytes is not offered.
    return Asset(data, digest, mime, br if len(br) < len(data) else None, gz if len(gz) < len(data) else None)


def _cached(app, rel: str) -> Asset | None:
    cache = app.extensions.setdefault("companion_assets", {})
    # Development reloads files as they change; elsewhere each file is read once.
    if rel in cache and not app.debug:
        return cache[rel]
    asset = _load(rel)
    if asset is not None:  # unknown names are not kept: anyone can ask for any number of them
        cache[rel] = asset
    return asset


def get_asset(rel: str) -> Asset | None:
    return _cached(current_app, rel)


def asset_url(rel: str) -> str:
    asset = get_asset(rel)
    if asset is None:
        raise FileNotFoundError(rel)
    stem, dot, ext = rel.rpartition(".")
    return f"/static/{stem}.{asset.digest}.{ext}"


def asset_text(rel: str) -> str:
    asset = get_asset(rel)
    return asset.data.decode() if asset else ""


def preload(app) -> None:
    """Read and compress every static file now (at start-up: in gunicorn, once before the workers fork),
    not on a visitor's request."""
    for path in STATIC.rglob("*"):
        rel = path.relative_to(STATIC).as_posix()
        if path.is_file() and not rel.startswith("sw/"):
            _cached(app, rel)


class StaticFiles:
    """WSGI middleware: /static/ answered from memory, everything else passed to the app."""

    def __init__(self, app, wsgi_app, security_headers: list[tuple[str, str]]):
        self.app, self.wsgi_app, self.security = app, wsgi_app, security_headers

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/static/"):
            return self.wsgi_app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._plain(start_response, "405 METHOD NOT ALLOWED", [("Allow", "GET, HEAD")])
        status, headers, body = self.answer(path.removeprefix("/static/"), environ)
        start_response(status, headers + self.security)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def answer(self, filename: str, environ) -> tuple[str, list[tuple[str, str]], bytes]:
        match = HASHED.match(filename)
        rel = f"{match['stem']}{match['ext']}" if match else filename
        asset = None if "\x00" in rel or rel.startswith("sw/") else _cached(self.app, rel)
        if asset is None:
            return "404 NOT FOUND", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "9"),
                                     ("Cache-Control", "no-cache")], b"Not Found"
        # An old hash or the bare name is served but must be revalidated.
        return answer_asset(asset, environ, immutable=bool(match and match["hash"] == asset.digest))

    def _plain(self, start_response, status, headers):
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "0")]
                       + headers + self.security)
        return [b""]


def precache_urls() -> list[str]:
    """The app shell: every CSS, JS and icon file (not the worker's own parts)."""
    urls = []
    for path in sorted(STATIC.rglob("*")):
        rel = path.relative_to(STATIC).as_posix()
        if path.is_file() and not rel.startswith("sw/") and path.suffix in {".css", ".js", ".png", ".svg"}:
            urls.append(asset_url(rel))
    return urls


def service_worker_source(extra_urls: list[str], constants: dict[str, int] | None = None) -> str:
    parts = sorted((STATIC / "sw").glob("*.js"))
    body = minified("\n".join(p.read_text() for p in parts))
    shell = precache_urls() + extra_urls
    consts = "".join(f"const {k}={int(v)};" for k, v in (constants or {}).items())
    version = hashlib.sha256((body + consts + "|".join(shell)).encode()).hexdigest()[:10]
    quoted = ",".join(f'"{u}"' for u in shell)
    return f'"use strict";const VERSION="{version}";const SHELL=[{quoted}];{consts}\n{body}'


def answer_asset(asset: Asset, environ, *, immutable: bool) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status, headers and body for bytes held in memory: immutable, or revalidated by their digest
    (a 304 costs no body); brotli or gzip as compressed once, when the client takes them."""
    mime = asset.mimetype + ("; charset=utf-8" if asset.mimetype.startswith(TEXT_TYPES[:2]) else "")
    headers = [("Content-Type", mime)]
    if immutable:
        headers.append(("Cache-Control", IMMUTABLE))
    else:
        headers += [("Cache-Control", "no-cache"), ("ETag", quote_etag(asset.digest))]
        if asset.digest in {unquote_etag(t.strip())[0] for t in
                            environ.get("HTTP_IF_NONE_MATCH", "").split(",") if t.strip()}:
            return "304 NOT MODIFIED", headers, b""
    body = asset.data
    if asset.br or asset.gz:
        headers.append(("Vary", "Accept-Encoding"))
        accepted = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING", ""))
        for name, data in (("br", asset.br), ("gzip", asset.gz)):
            if data is not None and accepted[name] > 0:
                headers.append(("Content-Encoding", name))
                body = data
                break
    headers.append(("Content-Length", str(len(body))))
    return "200 OK", headers, body
