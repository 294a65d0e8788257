"""The report's campaign parts.

No holdout customer in the call table, the holdout note, and "Did the last campaign work?"."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from models.retention.campaigns.assign import assign_groups
from models.retention.campaigns.measure import measure_campaigns
from models.retention.report import render_report
from tests.models.retention.report_example import example_context


def _results(n_contact: int, churn_contact: int, n_holdout: int, churn_holdout: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = n_contact + n_holdout
    rows = pd.DataFrame({
        "campaign_id": "2024-11-30", "campaign_date": "2024-11-30",
        "group": ["contact"] * n_contact + ["holdout"] * n_holdout,
        "churned": [1] * churn_contact + [0] * (n_contact - churn_contact) + [1] * churn_holdout
        + [0] * (n_holdout - churn_holdout),
        "contacted": pd.array([pd.NA] * n, dtype="boolean"), "value": 240.0,
        "risk_tier": rng.choice(["high", "medium"], n), "action_code": rng.choice(["SERVICE_RECOVERY_CALL"], n),
        "driver_family": rng.choice(["complaints", "billing"], n)})
    return measure_campaigns(rows, 1.0)


def _context(language: str, results: pd.DataFrame | None):
    ctx = example_context(n_customers=400, top_n=60, language=language)
    scored = ctx.scored.assign(risk_tier_code=ctx.scored["risk_tier"], action_code="SERVICE_RECOVERY_CALL")
    scored = scored.join(assign_groups(scored, "2024-12-31", 0.3, ["high", "medium"]))
    return dataclasses.replace(ctx, scored=scored, campaign_results=results)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_holdout_customers_are_never_in_the_call_table_and_the_report_says_why(language):
    ctx = _context(language, None)
    html = render_report(ctx, language)
    held = ctx.scored.loc[ctx.scored["campaign_group"] == "holdout", "customer_id"]
    assert 0 < len(held) and ctx.scored["rank"].loc[held.index].min() <= 60   # some would have been in the top 60
    table = html.split('id="risk-table"')[1].split("</table>")[0]
    assert all(f">{cid}<" not in table for cid in held if cid.startswith("C"))
    assert table.count("<tr") == 61                                         # still 60 callable rows
    note = html.split('id="holdout-note">')[1].split("</p>")[0]
    assert f"{len(held):,}" in note and "2024-12-31" in note
    assert 'id="campaign-none"' in html


def test_a_campaign_that_worked_says_yes_with_its_interval_saves_and_roi():
    res = _results(2000, 100, 500, 50)
    html = render_report(_context("en", res), "en")
    verdict = html.split('id="campaign-verdict"')[1].split("</p>")[0]
    assert 'data-conclusion="fewer_churned"' in verdict and verdict.split(">", 1)[1].startswith("Yes.")
    assert "5.0% of the contacted group" in verdict and "10.0% of the holdout" in verdict
    row = res[(res["analysis"] == "itt") & (res["segment"] == "overall")].iloc[0]
    assert f"{100 * row['difference_lower']:.1f} to {100 * row['difference_upper']:.1f}" in verdict
    figures = html.split('id="campaign-figures"')[1].split("</ul>")[0]
    assert "Customers saved: about 100" in figures and "ROI" in figures
    assert '<figure id="campaign-chart">' in html and "<svg" in html.split('id="campaign-chart"')[1][:2000]
    assert html.count("<tr>", html.index('id="campaign-segments"')) >= 4   # tiers, action, drivers


@pytest.mark.parametrize("language, words", [("en", "includes zero"), ("ja", "0を含む")])
def test_an_interval_with_zero_says_so_plainly_and_gives_the_customers_needed(language, words):
    html = render_report(_context(language, _results(180, 18, 20, 3)), language)
    verdict = html.split('id="campaign-verdict"')[1].split("</p>")[0]
    assert 'data-conclusion="not_detectable"' in verdict and words in verdict
    figures = html.split('id="campaign-figures"')[1].split("</ul>")[0]
    assert ("would need about" in figures) if language == "en" else ("人規模" in figures)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_campaign_section_in_chromium(browser, language, tmp_path):
    from tests.models.retention.test_report_browser import _TEXT_OUTSIDE_SVG
    from tests.paths import ARTIFACTS

    ctx = _context(language, _results(2000, 100, 500, 50))
    path = tmp_path / f"campaign_{language}.html"
    path.write_text(render_report(ctx, language), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())
    section = page.locator("#campaign")
    assert section.locator("h2").inner_text() == ("Did the last campaign work?" if language == "en"
                                                   else "前回のキャンペーンは効いたか")
    bars = section.locator("svg rect")
    assert bars.count() >= 2 and section.locator("svg").is_visible()
    held = set(ctx.scored.loc[ctx.scored["campaign_group"] == "holdout", "customer_id"])
    shown = set(page.locator("#risk-table tbody tr td:nth-child(2)").all_inner_texts())
    assert shown and not shown & held
    assert page.evaluate(_TEXT_OUTSIDE_SVG) == []
    ARTIFACTS.mkdir(exist_ok=True)
    section.screenshot(path=str(ARTIFACTS / f"campaign_section_{language}.png"))
    page.close()
    assert problems == []
