"""Measuring what a first visit transfers: the page, then every resource it references, each
compressed as served (brotli or gzip), headers included."""

import re
from html.parser import HTMLParser

KB = 1024
ENCODINGS = {"Accept-Encoding": "br, gzip"}


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {
            "stylesheet", "prefetch", "preload", "icon", "manifest", "modulepreload"
        }:
            self.urls.append(a["href"])
        elif tag in ("script", "img", "source", "iframe") and a.get("src"):
            self.urls.append(a["src"])


def wire_size(resp) -> int:
    head = len(f"HTTP/1.1 {resp.status}\r\n") + sum(len(f"{k}: {v}\r\n") for k, v in resp.headers.items()) + 2
    return head + len(resp.get_data())


def first_visit(client, url: str) -> tuple[int, dict[str, int]]:
    """Total bytes of a page and everything it references, on an empty cache."""
    page = client.get(url, headers=ENCODINGS)
    sizes = {url: wire_size(page)}
    html = page.get_data(as_text=True) if page.headers.get("Content-Encoding") is None else _decoded(page)
    parser = _Refs()
    parser.feed(html)
    for ref in parser.urls:
        if ref.startswith("/") and ref not in sizes:
            sizes[ref] = wire_size(client.get(ref, headers=ENCODINGS))
    return sum(sizes.values()), sizes


def _decoded(resp) -> str:
    import gzip

    import brotli

    raw = resp.get_data()
    enc = resp.headers.get("Content-Encoding")
    return (brotli.decompress(raw) if enc == "br" else gzip.decompress(raw)).decode()


def compressed_size(client, url: str) -> int:
    resp = client.get(url, headers=ENCODINGS)
    assert resp.status_code == 200, url
    return len(resp.get_data())


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
EXTERNAL_URL = re.compile(r"(?:https?:)?//(?!www\.w3\.org/)[a-z0-9.-]+\.[a-z]{2,}", re.I)
