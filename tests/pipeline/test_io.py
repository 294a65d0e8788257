"""File outputs: spreadsheet-safe CSV with formulas defused, written atomically."""

from __future__ import annotations

import pandas as pd

from pipeline.core.io import neutralise_formulas, write_csv_for_spreadsheet


def test_neutralise_formulas():
    df = pd.DataFrame({
        "customer_id": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", None],
        "plan": pd.Categorical(["=a", "b", "c", "d", "e", "f", "g", "h"]),
        "score": [-1.0, 2, 3, 4, 5, 6, 7, 8],
    })
    out = neutralise_formulas(df)
    assert list(out["customer_id"][:7]) == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "ok"]
    assert pd.isna(out["customer_id"].iloc[7])
    assert out["plan"].iloc[0] == "'=a"
    assert out["score"].iloc[0] == -1.0
    assert df["customer_id"].iloc[0].startswith("=")  # input untouched
    only = neutralise_formulas(df, columns=["plan"])
    assert only["customer_id"].iloc[0].startswith("=")


def test_write_csv_for_spreadsheet(tmp_path):
    df = pd.DataFrame({"customer_id": ["'=x", "C2"], "reason_1": ["ログインが減少", "Plan: basic"]})
    path = tmp_path / "out" / "at_risk_customers.csv"
    write_csv_for_spreadsheet(df, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert list(back["reason_1"]) == ["ログインが減少", "Plan: basic"]
    assert [p.name for p in path.parent.iterdir()] == ["at_risk_customers.csv"]  # no temp file left
