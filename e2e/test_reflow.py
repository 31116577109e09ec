"""Reflow for people who zoom (issue 14): at 200 % zoom on a 360 px phone (180 CSS px) no page
scrolls sideways (WCAG 1.4.10 asks for 320 px; Companion's users need 180); at 360 px the header fits
on one line; and a right-to-left page (dir=rtl, ready for Arabic) overflows nothing either."""

from datetime import date

import pytest

from tests.pages import page_urls

from .conftest import born, logout, register
from .test_everyday import add_reminder

pytestmark = pytest.mark.e2e

ZOOMED = {"width": 180, "height": 370}
WIDER = """() => { const w = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > w + 1) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width && (r.right > w + 1 || r.left < -1) && !el.closest('.visually-hidden, .skip, [hidden]'))
        out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className
          === 'string' ? '.' + el.className.split(' ')[0] : '') + ' ' + Math.round(r.right));
    }
    return [document.documentElement.scrollWidth, out.slice(0, 5)];
  }
  return null; }"""


def _wide_pages(page, base, urls):
    wide = {}
    for url in urls:
        if url.endswith((".csv", ".ics", ".json")):
            continue  # files, not pages
        page.goto(base + url)
        found = page.evaluate(WIDER)
        if found:
            wide[url] = found
    return wide


def _a_full_account(page, live_server, email):
    base = live_server.url
    register(page, base, email)
    pid = born(live_server, email, date(1956, 3, 12))
    add_reminder(page, base, pid)
    page.goto(f"{base}/p/{pid}/caregivers")
    page.get_by_label("Avec un code à lui lire ou à lui envoyer").check()
    page.get_by_role("button", name="Inviter").click()
    return pid


def test_no_page_scrolls_sideways_at_200_percent_zoom(page, live_server, unique_email):
    base = live_server.url
    _a_full_account(page, live_server, unique_email)
    urls = page_urls(live_server.app, None, unique_email)
    page.set_viewport_size(ZOOMED)
    wide = _wide_pages(page, base, urls)
    logout(page)
    wide |= _wide_pages(page, base, page_urls(live_server.app, None))
    assert wide == {}, "\n".join(f"{u}: {w}" for u, w in wide.items())


def test_the_header_fits_one_line_at_360_px(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    for path in ("/", "/login"):
        if path == "/login":
            logout(page)
        page.goto(base + path)
        height = page.evaluate("document.querySelector('header.top').getBoundingClientRect().height")
        assert height <= 64, f"{path}: the header is {height}px tall"


def test_a_right_to_left_page_overflows_nothing(page, live_server, unique_email):
    base = live_server.url
    pid = _a_full_account(page, live_server, unique_email)
    page.set_viewport_size(ZOOMED)
    for path in ("/", f"/p/{pid}/agenda", f"/p/{pid}/caregivers", f"/p/{pid}/documents"):
        page.goto(base + path)
        page.evaluate("document.documentElement.dir = 'rtl'")
        found = page.evaluate(WIDER)
        assert found is None, f"{path} in rtl: {found}"
