"""A colour-contrast check computed in the browser for every visible button and link, in each state
a person can see it in (at rest, under the pointer, focused). axe only says "needs review" when a
button's text sits on a background it cannot resolve, which let white-on-white buttons through."""

CONTRAST = """(sel) => {
  const parse = (c) => { const m = c.match(/[\\d.]+/g) || [0, 0, 0, 0];
    return [+m[0], +m[1], +m[2], m.length > 3 ? +m[3] : 1]; };
  const over = (top, under) => { const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const lum = (c) => { const v = c.slice(0, 3).map(x => { x /= 255;
    return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];  // the canvas
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    if (!r.width || !r.height || st.visibility === 'hidden' || !el.innerText.trim()) continue;
    if (el.closest('.visually-hidden')) continue;
    const bg = background(el), fg = over(parse(st.color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(st.fontSize), bold = +st.fontWeight >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) out.push(`${el.tagName} "${el.innerText.trim().slice(0, 40)}" ` +
      `${ratio.toFixed(2)} < ${need} (${st.color} on rgb(${bg.slice(0, 3).map(Math.round)}))`);
  }
  return out;
}"""

CONTROLS = "button, a, .button, summary"


def contrast_problems(page, selector: str = CONTROLS) -> list[str]:
    """Every visible control whose text is below WCAG AA contrast, at rest, hovered and focused."""
    problems = [f"at rest: {p}" for p in page.evaluate(CONTRAST, selector)]
    controls = page.locator(selector)
    for i in range(controls.count()):
        one = controls.nth(i)
        if not one.is_visible():
            continue
        marker = f"[data-contrast-probe='{i}']"
        one.evaluate(f"e => e.setAttribute('data-contrast-probe', '{i}')")
        one.focus()
        problems += [f"focused: {p}" for p in page.evaluate(CONTRAST, marker)]
        one.hover(force=True)
        problems += [f"hovered: {p}" for p in page.evaluate(CONTRAST, marker)]
        one.evaluate("e => e.removeAttribute('data-contrast-probe')")
    return problems


def assert_contrast(page):
    problems = contrast_problems(page)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
