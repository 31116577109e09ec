"""Text links a finger must hit (issue 14): a link standing on its own (not a word inside a sentence,
which WCAG 2.5.8 exempts) is at least 24 CSS px tall, measured in the browser on a 360 px phone."""

from datetime import date

import pytest

from .conftest import born, logout, register
from .test_everyday import add_reminder

pytestmark = pytest.mark.e2e

SMALL = """() => {
  const out = [];
  for (const a of document.querySelectorAll('a')) {
    const r = a.getBoundingClientRect(), text = a.innerText.trim();
    if (!r.width || !text || a.closest('.visually-hidden, .skip')) continue;
    const block = a.parentElement.closest('p, li, dd, div, nav, td, footer, header');
    const alone = block && block.innerText.trim() === text;  // nothing else in its line to read
    if (alone && r.height < 24) out.push(`"${text.slice(0, 40)}" ${r.height.toFixed(1)}px`);
  }
  return out;
}"""


def test_standalone_links_are_at_least_24_px_tall(page, live_server, unique_email):
    base = live_server.url
    register(page, base, unique_email)
    pid = born(live_server, unique_email, date(1956, 3, 12))
    add_reminder(page, base, pid)
    small = {}
    paths = ["/", f"/p/{pid}/", f"/p/{pid}/agenda", f"/p/{pid}/documents", f"/p/{pid}/caregivers",
             f"/p/{pid}/access-log", f"/p/{pid}/emergency", "/account/security/", "/caregiving", "/glossary"]
    for path in paths:
        page.goto(base + path)
        if found := page.evaluate(SMALL):
            small[path] = found
    logout(page)
    for path in ("/", "/login", "/register"):
        page.goto(base + path)
        if found := page.evaluate(SMALL):
            small[path] = found
    assert small == {}, "\n".join(f"{p}: {f}" for p, f in small.items())
