"""The IBM Telco adapter: one snapshot placed in time so that exactly one cutoff is labelled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from features import telco
from features.cutoffs import labelled, schedule
from pipeline import config, generate
from pipeline.validate import validate

REPO = Path(__file__).resolve().parents[1]
TELCO_CSV = REPO / "data/external/telco/WA_Fn-UseC_-Telco-Customer-Churn.csv"
S = dt.date(2024, 12, 31)
H = 30


def read_sample() -> pd.DataFrame:
    return pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return telco.adapt(read_sample(), S, H)


def test_sample_is_committed_with_its_source_note():
    assert TELCO_CSV.is_file() and (TELCO_CSV.parent / "SOURCE.md").is_file()
    assert len(read_sample()) == 7043


def test_dates_around_the_snapshot(tables):
    raw = read_sample()
    c = tables["customers"]
    assert len(c) == 7043 and c["customer_id"].is_unique
    assert c["customer_id"].tolist() == raw["customerID"].tolist()
    tenure = raw["tenure"].astype(int)
    assert (c.loc[tenure.eq(0), "signup_date"] == S).all(), "tenure 0 signs up on the snapshot day"
    one = c.loc[tenure.eq(1), "signup_date"].unique().tolist()
    assert one == [dt.date(2024, 11, 30)], "month ends clip"
    assert c.loc[tenure.eq(72), "signup_date"].unique().tolist() == [dt.date(2018, 12, 31)]
    churned = raw["Churn"].eq("Yes")
    assert c["churn_date"].notna().tolist() == churned.tolist()
    days = pd.Series([(d - S).days for d in c.loc[churned, "churn_date"]])
    assert days.between(1, H).all(), "every churner leaves in (S, S + H]"
    assert days.nunique() > 20, "churn days are spread over the horizon"
    assert telco.as_of_date(S, H) == dt.date(2025, 1, 30)


def test_exactly_one_cutoff_is_labelled_and_its_label_is_the_churn_column(tables):
    as_of = telco.as_of_date(S, H)
    cutoffs = schedule(S, as_of, "month_end")
    assert labelled(cutoffs, as_of, H) == [S]
    c = tables["customers"]
    label = c["churn_date"].map(lambda d: d is not None and S < d <= as_of)
    assert int(label.sum()) == 1869


def test_total_charges_blanks_become_zero_and_attributes_are_renamed(tables):
    c = tables["customers"]
    raw = read_sample()
    blank = raw["TotalCharges"].str.strip().eq("")
    assert int(blank.sum()) == 11 and (raw.loc[blank, "tenure"] == "0").all()
    assert (c.loc[blank, "total_charges"] == 0.0).all()
    assert c["total_charges"].dtype == "float64" and c["monthly_fee"].dtype == "float64"
    assert c["monthly_fee"].iloc[0] == 29.85
    assert set(c["contract"]) == {"Month-to-month", "One year", "Two year"}
    assert set(c.columns) == {"customer_id", "signup_date", "churn_date", *telco.ATTRIBUTES.values()}
    assert "tenure" not in c.columns and "Churn" not in c.columns, "the label and raw tenure must not be attributes"


def test_events_are_one_signup_each_and_nothing_after_the_snapshot(tables):
    e, c = tables["events"], tables["customers"]
    assert len(e) == len(c) and set(e["event_type"]) == {"signup"}
    assert (e["timestamp"].dt.date.values == c["signup_date"].values).all()
    assert e["timestamp"].max() < pd.Timestamp(S) + pd.Timedelta(days=1)


def test_adapter_is_deterministic():
    a = telco.adapt(read_sample(), S, H)
    b = telco.adapt(read_sample(), S, H)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_not_the_telco_file_says_what_is_missing():
    raw = read_sample().drop(columns=["Churn"])
    with pytest.raises(telco.TelcoError, match="missing column"):
        telco.adapt(raw, S, H)


def write_params(tmp_path: Path, **overrides: dict) -> Path:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["data"].update(source="telco", raw_dir=str(tmp_path / "raw"), as_of="2025-01-30")
    params["telco"]["path"] = str(TELCO_CSV)
    params["cutoffs"].update(first="2024-12-31", last=None)
    params["label"]["horizon_days"] = H
    for section, values in overrides.items():
        params[section].update(values)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_generate_stage_writes_tables_that_validate(tmp_path):
    params = write_params(tmp_path)
    summary = generate.main(params, tmp_path / "raw", tmp_path / "gt")
    assert summary["customers"] == 7043 and summary["churners"] == 1869
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == ["customers.parquet", "events.parquet"]
    out = tmp_path / "out"
    report = validate(tmp_path / "raw", out / "v", out / "r", out / "report.json", "strict", dt.date(2025, 1, 30))
    assert report["failures"] == [] and report["tables"]["customers"]["rows_kept"] == 7043
    manifest = pd.read_json(out / "v/manifest.json", typ="series")
    assert "monthly_fee" in manifest["attributes"] and "contract" in manifest["attributes"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"data": {"as_of": None}}, r"needs data.as_of: 2025-01-30"),
    ({"cutoffs": {"first": "2024-10-31"}}, r"set cutoffs.first: 2024-12-31 .*labels 2024-10-31, 2024-11-30, 2024-12-31"),
])
def test_generate_stage_refuses_params_that_label_more_or_less_than_the_snapshot(tmp_path, overrides, message):
    params = write_params(tmp_path, **overrides)
    with pytest.raises(config.ParamsError, match=message):
        generate.main(params, tmp_path / "raw", tmp_path / "gt")
    assert not (tmp_path / "raw").exists()


TELCO_PARAMS = dict(data__source="telco", data__raw_dir="data/raw", data__as_of="2025-01-30",
                    cutoffs__first="2024-12-31", label__horizon_days=H,
                    featurize__passive_event_types=["payment_failed", "plan_change", "price_change", "nps", "signup"],
                    train__num_leaves=7, train__learning_rate=0.02, train__lambda_l2=5.0, train__linear_blend=0.5)
CV_FLOOR = 0.850


@pytest.fixture(scope="module")
def telco_repo(tmp_path_factory) -> Path:
    from tests.e2e_helpers import copy_repo, drop_outputs, dvc, git, set_params

    repo = copy_repo(tmp_path_factory.mktemp("telco"))
    drop_outputs(repo)
    set_params(repo, **TELCO_PARAMS)
    git(repo, "commit", "-qam", "telco source")
    dvc(repo, "repro", timeout=1800)
    return repo


@pytest.mark.e2e
def test_telco_runs_end_to_end_with_cross_validation(telco_repo):
    import json

    metrics = json.loads((telco_repo / "data/metrics/metrics.json").read_text())
    assert metrics["test_cutoff"] == "2024-12-31" and metrics["n_test"] == 7043
    assert abs(metrics["positive_rate"] - 1869 / 7043) < 1e-9
    assert metrics["cv_roc_auc_mean"] > 0.83 and metrics["cv_roc_auc_std"] < 0.02
    scored = pd.read_csv(telco_repo / "data/scored/at_risk_customers.csv", encoding="utf-8-sig")
    assert len(scored) == 7043 - 1869, "the scored population is the customers still active at S + H"
    assert scored["reason_1"].str.len().gt(0).mean() > 0.9


@pytest.mark.e2e
def test_telco_cross_validated_auc_meets_the_floor(telco_repo):
    import json

    metrics = json.loads((telco_repo / "data/metrics/metrics.json").read_text())
    meta = json.loads((telco_repo / "data/models/model_meta.json").read_text())
    assert meta["linear"]["weight"] == 0.5 and meta["cv"]["cv_roc_auc_mean"] == metrics["cv_roc_auc_mean"]
    assert metrics["cv_roc_auc_mean"] >= CV_FLOOR
    assert metrics["baseline_logistic_roc_auc"] < metrics["roc_auc"], "the blend beats the logistic baseline alone"


@pytest.mark.e2e
def test_telco_reasons_add_up_to_the_blended_model(telco_repo, monkeypatch):
    import json

    import mlflow

    from models.predict import load_model
    from pipeline.explain import scoring_rows

    model = load_model(telco_repo / "data/models")
    pop = pd.read_parquet(telco_repo / "data/explain/scoring_population.parquet")
    shap = pd.read_parquet(telco_repo / "data/explain/shap_values.parquet")
    rows, _ = scoring_rows(telco_repo / "data/features", telco_repo / "data/labels/active_at_score.parquet")
    assert shap["customer_id"].tolist() == pop["customer_id"].tolist() == rows["customer_id"].tolist()
    total = shap[model.meta["features"]].sum(axis=1).to_numpy() + pop["reference_log_odds"].to_numpy()
    np.testing.assert_allclose(total, model.raw_score(rows), atol=1e-6)
    linear_only = {f for f, terms in model.meta["linear"]["categorical"].items() if terms}
    assert linear_only, "the linear part has categorical terms the reasons can come from"
    np.testing.assert_allclose(pop["churn_probability"], model.predict_proba(rows), rtol=1e-12)

    # The model served from the MLflow store scores with the same blend.
    previous = mlflow.get_tracking_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{telco_repo / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{telco_repo / 'mlflow.db'}")
    try:
        uri = json.loads((telco_repo / "data/models/mlflow_run.json").read_text())["model_uri"]
        # The signature declares numeric features as doubles; MLflow will not cast int64 to double by itself.
        served_rows = rows[model.meta["features"]].head(50)
        served_rows = served_rows.astype({c: "float64" for c in served_rows.select_dtypes("number").columns})
        served = mlflow.pyfunc.load_model(uri).predict(served_rows)
    finally:
        mlflow.set_tracking_uri(previous)
    np.testing.assert_allclose(served, model.predict_proba(rows.head(50)), rtol=1e-9)
