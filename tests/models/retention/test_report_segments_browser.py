"""The campaign segments in a real headless Chromium: above the call table, readable, inside the page's width.

A screenshot of the segments and the top of the call table is kept for both kinds of business and both languages.
"""

from __future__ import annotations

import pytest

from models.retention.report import render_report
from models.retention.report.segments import segment_table
from tests.models.retention.report_example import example_context, retail_context
from tests.paths import ARTIFACTS


@pytest.mark.parametrize("profile,language", [("subscription", "en"), ("non_contract", "en"),
                                              ("subscription", "ja"), ("non_contract", "ja")])
def test_the_segments_read_above_the_call_table_in_chromium(browser, profile, language, tmp_path):
    ctx = (retail_context(n_customers=200, top_n=30, language=language, currency="JPY" if language == "ja" else "USD")
           if profile == "non_contract" else example_context(n_customers=200, top_n=30, language=language))
    path = tmp_path / f"segments_{profile}_{language}.html"
    path.write_text(render_report(ctx, language), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())

    rows = page.locator("#segment-table tbody tr")
    expected = segment_table(ctx.scored)
    assert rows.count() == min(12, len(expected)) >= 2
    assert [rows.nth(i).get_attribute("data-segment") for i in range(rows.count())] == \
        expected["segment"].head(12).tolist()
    first = rows.nth(0).locator("td").all_inner_texts()
    assert first[0] and first[1] == f"{int(expected['customers'].iloc[0]):,}" and first[4]
    segments, table = page.locator("#action-segments").bounding_box(), page.locator("#customers").bounding_box()
    assert segments["y"] + segments["height"] <= table["y"], "the segments come before the call table"
    wide = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert wide[0] <= wide[1], "the page does not scroll sideways"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report_segments_{profile}_{language}.png"), full_page=True,
                    clip={"x": 0, "y": segments["y"], "width": 1280, "height": segments["height"] + 400})
    page.close()
    assert not problems, problems
