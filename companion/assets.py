"""Static files under content-hashed names with a one-year immutable lifetime, and the service worker
assembled from its per-feature parts (static/sw/*.js, in name order)."""

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, abort, current_app

STATIC = Path(__file__).resolve().parent / "static"
HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")
YEAR = 31536000

bp = Blueprint("assets", __name__)


@dataclass(frozen=True)
class Asset:
    data: bytes
    digest: str
    mimetype: str


def _load(rel: str) -> Asset | None:
    path = (STATIC / rel).resolve()
    if STATIC not in path.parents or not path.is_file():
        return None
    data = path.read_bytes()
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mime == "text/javascript":
        mime = "application/javascript"
    return Asset(data, hashlib.sha256(data).hexdigest()[:10], mime)


def get_asset(rel: str) -> Asset | None:
    cache = current_app.extensions.setdefault("companion_assets", {})
    # Development reloads files as they change; elsewhere each file is read once.
    if rel not in cache or current_app.debug:
        cache[rel] = _load(rel)
    return cache[rel]


def asset_url(rel: str) -> str:
    asset = get_asset(rel)
    if asset is None:
        raise FileNotFoundError(rel)
    stem, dot, ext = rel.rpartition(".")
    return f"/static/{stem}.{asset.digest}.{ext}"


def asset_text(rel: str) -> str:
    asset = get_asset(rel)
    return asset.data.decode() if asset else ""


@bp.route("/static/<path:filename>")
def static_file(filename: str):
    match = HASHED.match(filename)
    rel = f"{match['stem']}{match['ext']}" if match else filename
    asset = get_asset(rel)
    if asset is None or rel.startswith("sw/"):
        abort(404)
    resp = Response(asset.data, mimetype=asset.mimetype)
    if match and match["hash"] == asset.digest:
        resp.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        resp.headers["Cache-Control"] = "no-cache"
        resp.set_etag(asset.digest)
        resp.make_conditional(__import__("flask").request)
    return resp


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
    body = "\n".join(p.read_text() for p in parts)
    shell = precache_urls() + extra_urls
    consts = "".join(f"const {k}={int(v)};" for k, v in (constants or {}).items())
    version = hashlib.sha256((body + consts + "|".join(shell)).encode()).hexdigest()[:10]
    quoted = ",".join(f'"{u}"' for u in shell)
    return f'"use strict";const VERSION="{version}";const SHELL=[{quoted}];{consts}\n{body}'
