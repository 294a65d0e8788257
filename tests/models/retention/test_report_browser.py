"""The rendered report in a real headless Chromium (``tests/browser.py``): renders, sorts, filters, no console errors."""

from __future__ import annotations

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
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(f"network request: {r.url}") if not r.url.startswith(("file:", "data:")) else None)
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
