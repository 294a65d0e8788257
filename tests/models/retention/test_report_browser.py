"""The rendered report in a real headless Chromium (``tests/browser.py``).

It renders, sorts and filters, with no console errors."""

from __future__ import annotations

import functools

import pytest

from models.retention.report import render_report
from tests.models.retention.report_example import example_context
from tests.paths import ARTIFACTS

TOP_N = 40


@pytest.mark.parametrize("language", ["en", "ja"])
def test_report_in_chromium(browser, language, tmp_path):
    ctx = example_context(n_customers=200, top_n=TOP_N, language=language)
    path = tmp_path / f"retention_report_{language}.html"
    path.write_text(render_report(ctx, language), encoding="utf-8")

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", functools.partial(_console_problem, problems))
    page.on("pageerror", functools.partial(_page_error, problems))
    page.on("request", lambda r: problems.append(f"network request: {r.url}")
            if not r.url.startswith(("file:", "data:")) else None)
    page.goto(path.as_uri())

    assert page.locator("h1").inner_text()
    rows = page.locator("#risk-table tbody tr")
    assert rows.count() == TOP_N
    assert page.locator("svg.chart").count() >= 5
    ranks = [int(t) for t in page.locator("#risk-table tbody tr td:first-child").all_inner_texts()]
    assert ranks == list(range(1, TOP_N + 1))

    # sort by churn risk: first click ascending, second descending
    header = page.locator("#risk-table thead th").nth(2)
    header.click()
    asc = [float(v) for v in page.eval_on_selector_all(
        "#risk-table tbody tr td:nth-child(3)", "els => els.map(e => e.dataset.sort)")]
    assert asc == sorted(asc) and header.get_attribute("aria-sort") == "ascending"
    header.click()
    desc = [float(v) for v in page.eval_on_selector_all(
        "#risk-table tbody tr td:nth-child(3)", "els => els.map(e => e.dataset.sort)")]
    assert desc == sorted(desc, reverse=True)

    # text filter on one customer id, then clear; tier filter
    target = ctx.scored.sort_values("rank")["customer_id"].iloc[3]
    page.fill("#filter-text", target)
    assert page.locator("#risk-table tbody tr:not([hidden])").count() == 1
    page.fill("#filter-text", "")
    assert page.locator("#risk-table tbody tr:not([hidden])").count() == TOP_N
    page.select_option("#filter-tier", "high")
    visible_tiers = set(page.eval_on_selector_all(
        "#risk-table tbody tr:not([hidden])", "els => els.map(e => e.dataset.tier)"))
    n_high = int((ctx.scored.sort_values("rank").head(TOP_N)["risk_tier"] == "high").sum())
    assert page.locator("#risk-table tbody tr:not([hidden])").count() == n_high
    assert visible_tiers <= {"high"}
    assert str(n_high) in page.locator("#row-count").inner_text()
    page.select_option("#filter-tier", "")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"retention_report_{language}.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / f"retention_report_{language}_print.png"), full_page=False)
    page.close()
    assert not problems, "\n".join(problems)


# Every <text> of every inline SVG, measured on screen (transforms included) against its SVG's box, and, unrotated,
# in user units against the viewBox.
_TEXT_OUTSIDE_SVG = """() => {
  const out = [];
  document.querySelectorAll("svg").forEach((svg, k) => {
    const box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
    svg.querySelectorAll("text").forEach(t => {
      const r = t.getBoundingClientRect(), b = t.getBBox();
      const name = `svg ${k} (${svg.getAttribute("aria-label")}): "${t.textContent}"`;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        out.push(`${name} on screen ${r.left.toFixed(1)}-${r.right.toFixed(1)} ` +
                 `outside ${box.left.toFixed(1)}-${box.right.toFixed(1)}`);
      if (!t.hasAttribute("transform") && (b.x < vb.x - 0.5 || b.x + b.width > vb.x + vb.width + 0.5))
        out.push(`${name} ${b.x.toFixed(1)}-${(b.x + b.width).toFixed(1)} outside viewBox width ${vb.width}`);
    });
    const section = svg.closest("section").getBoundingClientRect();
    if (box.right > section.right + 0.5) out.push(`svg ${k} sticks out of its section`);
  });
  return out;
}"""

# The customer table's box, before and after scrolling it to its right end, and its last column.
_TABLE_LAYOUT = """() => {
  const wrap = document.querySelector("#customers .table-wrap");
  const style = getComputedStyle(wrap);
  const lastColumn = () => Array.from(document.querySelectorAll(
    "#risk-table thead th:last-child, #risk-table tbody tr:not([hidden]) td:last-child"));
  const before = {scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth};
  const right = Math.max(...lastColumn().map(c => c.getBoundingClientRect().right));
  wrap.scrollLeft = wrap.scrollWidth;
  const w = wrap.getBoundingClientRect();
  const after = lastColumn().map(c => c.getBoundingClientRect());
  const res = {
    ...before, overflowX: style.overflowX, wrapLeft: w.left, wrapRight: w.right, wrapHeight: w.height,
    lastRightBefore: right, lastLeftAfter: Math.min(...after.map(r => r.left)),
    lastRightAfter: Math.max(...after.map(r => r.right)),
    headerText: document.querySelector("#risk-table thead th:last-child").textContent,
    docScrollWidth: document.documentElement.scrollWidth, docClientWidth: document.documentElement.clientWidth,
    sectionsOverflowing: Array.from(document.querySelectorAll("section"))
      .filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.id || s.className),
  };
  wrap.scrollLeft = 0;
  return res;
}"""


def _console_problem(problems: list[str], message) -> None:
    if message.type in ("error", "warning"):
        problems.append(f"console {message.type}: {message.text}")


def _page_error(problems: list[str], error) -> None:
    problems.append(f"page error: {error}")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_report_layout_nothing_cut(browser, language, tmp_path):
    """Chart text stays inside its drawing and the customer table's last column can be seen, at 1280 and 800 px.

    5,000 customers, so segment notes read like the real ones ("1,671 customers"), and the top 100 in the table.
    """
    ctx = example_context(n_customers=5_000, top_n=100, language=language)
    path = tmp_path / f"retention_report_{language}.html"
    path.write_text(render_report(ctx, language), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 800):
        page = browser.new_page(viewport={"width": width, "height": 900})
        problems: list[str] = []
        page.on("console", functools.partial(_console_problem, problems))
        page.on("pageerror", functools.partial(_page_error, problems))
        page.goto(path.as_uri())
        at = f"{language} at {width} px"

        assert page.locator("svg.chart").count() >= 5
        outside = page.evaluate(_TEXT_OUTSIDE_SVG)
        assert not outside, f"{at}: chart text cut off:\n" + "\n".join(outside)

        t = page.evaluate(_TABLE_LAYOUT)
        assert t["docScrollWidth"] <= t["docClientWidth"], f"{at}: the page itself is wider than the window: {t}"
        assert not t["sectionsOverflowing"], f"{at}: content sticks out of {t['sectionsOverflowing']}"
        assert t["headerText"].strip()
        if width >= 1280:
            # wide window: the whole table fits, its last column visible without scrolling
            assert t["scrollWidth"] <= t["clientWidth"] + 1, f"{at}: the table is wider than its box: {t}"
            assert t["lastRightBefore"] <= t["wrapRight"] + 1, t
        if t["scrollWidth"] > t["clientWidth"] + 1:
            # narrow window: the box scrolls sideways, its scroll bar on screen, and scrolled to the end the last
            # column is whole inside it
            assert t["overflowX"] in ("auto", "scroll"), f"{at}: the table is cut and its box does not scroll: {t}"
            assert t["wrapHeight"] <= 900, f"{at}: the table's horizontal scroll bar is below the screen: {t}"
            assert t["lastRightAfter"] <= t["wrapRight"] + 1 and t["lastLeftAfter"] >= t["wrapLeft"] - 1, t

        page.screenshot(path=str(ARTIFACTS / f"retention_report_{language}_{width}px.png"), full_page=True)
        page.close()
        assert not problems, "\n".join(problems)


@pytest.mark.parametrize("profile,language", [("subscription", "en"), ("non_contract", "en"),
                                              ("subscription", "ja"), ("non_contract", "ja")])
def test_each_business_profile_renders_in_chromium(browser, profile, language, tmp_path):
    """Both profiles open cleanly, show their own words and their trends; a screenshot of each is kept."""
    from tests.models.retention.report_example import retail_context

    ctx = (retail_context(n_customers=150, top_n=30, language=language, currency="JPY" if language == "ja" else "USD")
           if profile == "non_contract" else example_context(n_customers=150, top_n=30, language=language))
    path = tmp_path / f"report_{profile}_{language}.html"
    path.write_text(render_report(ctx, language), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())
    subtitle = page.locator(".subtitle, header p").first.inner_text()
    words = {("subscription", "en"): "most likely to leave", ("non_contract", "en"): "least likely to buy again",
             ("subscription", "ja"): "解約", ("non_contract", "ja"): "再購入"}[(profile, language)]
    assert words in page.locator("body").inner_text(), subtitle
    figures = page.locator("#trend figure").count()
    assert figures == (2 if profile == "subscription" else 4), "retail shows value and CSAT trends beside the rates"
    assert page.locator("#risk-table tbody tr").count() == 30
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"retention_report_{profile}_{language}.png"), full_page=False)
    page.close()
    assert not problems, problems
