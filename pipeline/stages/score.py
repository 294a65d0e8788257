"""Stage score: the ranked list of customers at risk at the scoring date.

Reads the explained scoring population (reasons, driver family and, with
``explain.method: interventional``, ``reason_reference``: the segment value,
e.g. the contract, whose customers the reasons compare the customer with; empty
when compared with every scored customer), the features at the scoring date and
on the training cutoffs, and the model's registry entry; writes
``data/scored/at_risk_customers.csv`` (spreadsheet-safe) and ``.parquet``, and
``data/scored/drift.csv`` (PSI per feature, scored vs training population).
The list starts a campaign (``campaign:`` params, ``pipeline/scoring/campaign.py``):
``campaign_id`` and ``campaign_group`` (contact | holdout) on the list, a
holdout's action "do not contact", and the assignments in
``data/campaigns/<campaign id>/assignments.parquet``, logged to MLflow.
Drift never stops scoring: drifted features are logged, sent to MLflow and
listed in the report.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import mlflow
import pandas as pd

from models.evaluation.drift import drift_table
from models.retention.playbook import Playbook, recommend_actions
from models.retention.scored_list import SEGMENTS, ranked, segment_columns
from models.retention.tiers import assign_tiers, tier_labels
from models.retention import i18n
from models.retention.labels import name_forms
from models.clv.spend import DAYS_PER_MONTH, expected_spend, spend_event_type, spend_of
from models.retention.value import value_at_risk
from pipeline.scoring import campaign
from pipeline.core import config, tracking
from pipeline.core.io import atomic_path, read_json, remove_outputs, write_csv_for_spreadsheet, write_parquet

log = logging.getLogger(__name__)

def model_version(explain_dir: Path) -> str:
    """The registry version of the model that scored (``pipeline/core/registry.py``), loudly when it is not a champion."""
    choice = read_json(explain_dir / "scoring_model.json")
    version = str(choice["version"])
    if not choice.get("warning"):
        return version
    if choice.get("champion_version"):
        return (f"{version} (this run's model, which did not pass the gate: champion v{choice['champion_version']} "
                "cannot score this data)")
    return f"{version} (this run's model, which did not pass the gate: no champion yet)"


def check_rule_columns(playbook: Playbook, given: config.PlaybookParams, available: list[str],
                       params_path: Path) -> None:
    """A segment rule from params on a column the scored customers lack is a params error, not a skipped rule."""
    if given.segment_rules is None:
        return  # the default rules: one on a column the data lacks is skipped with a warning
    for rule in playbook.segment_rules:
        absent = sorted({c.column for c in rule.conditions} - set(available))
        if absent:
            raise config.ParamsError(
                f"{params_path}: playbook.segment_rules '{rule.name}': column(s) {', '.join(absent)} are not columns "
                f"of the scored customers; available: {', '.join(sorted(available))}")


# Whole-history features the non-contract value model reads.
VALUE_INPUTS = ("repeat_active_days", "activity_span_days", "days_since_first_activity", "active_days_all")


def check_revenue_params(sp: config.ScoreParams, fmeta: dict, params_path: Path) -> None:
    """A revenue column or spend type named in params that the data lacks is an error now, never an empty column."""
    features = fmeta["features"]
    if sp.revenue_column != "auto" and sp.revenue_column not in features:
        numeric = [f for f in features if f not in set(fmeta["categorical"])]
        raise config.ParamsError(
            f"{params_path}: score.revenue_column '{sp.revenue_column}' is not a column of the data; numeric columns "
            f"it has: {', '.join(numeric)} (or set auto)")
    if sp.spend_event_type != "auto" and spend_event_type(features, sp.spend_event_type) is None:
        have = [f[len("events_"):-len("_value_sum_all")] for f in features if f.endswith("_value_sum_all")]
        raise config.ParamsError(
            f"{params_path}: score.spend_event_type '{sp.spend_event_type}' has no value sums in the data; event "
            f"types with values: {', '.join(have) or 'none'} (or set auto)")


def revenue_source(sp: config.ScoreParams, kind: str, fmeta: dict, rows: pd.DataFrame,
                   params_path: Path) -> tuple[str, str | None]:
    """Where the value comes from: ``("fee", column)``, ``("expected_spend", spend type)`` or ``("unknown", None)``.

    ``score.revenue_column: auto`` takes the fee column when the data has one (``monthly_fee``, fed by the
    customers' fee column or by plan and price events) for a subscription, and the expected spend for a
    non-contract business (a fee column only if it has no spend); a named column is used as monthly revenue.
    """
    if sp.revenue_column != "auto":
        return "fee", sp.revenue_column
    has_fee = "monthly_fee" in rows.columns and bool(pd.to_numeric(rows["monthly_fee"], errors="coerce").notna().any())
    fee_is_paid = has_fee and (kind == "subscription" or fmeta.get("fee_attribute"))
    if kind == "non_contract":
        totals = {c[len("events_"):-len("_value_sum_all")]: float(pd.to_numeric(rows[c], errors="coerce").sum())
                  for c in rows.columns if c.startswith("events_") and c.endswith("_value_sum_all")}
        spend = spend_event_type(list(rows.columns), sp.spend_event_type, totals)
        if spend is not None and all(c in rows.columns for c in VALUE_INPUTS):
            return "expected_spend", spend
    if fee_is_paid:
        return "fee", "monthly_fee"
    return "unknown", None


def with_value(scored: pd.DataFrame, rows: pd.DataFrame, basis: str, source: str | None, sp: config.ScoreParams,
               horizon_days: int, language: str, display_names: dict | None = None,
               spend: dict | None = None) -> pd.DataFrame:
    """``value_at_risk`` and ``value_basis`` (how it was measured, or that it is unknown); ``customer_value`` when
    the value model priced each customer (BG/NBD fitted on ``rows``, or ``spend``: a ``value.spend_model``
    fitted on the whole base, when ``rows`` are only a part of it)."""
    p = scored["churn_probability"]
    if basis == "fee":
        revenue = pd.to_numeric(scored[source], errors="coerce")
        scored["value_at_risk"] = value_at_risk(p, revenue, horizon_days)
        text = i18n.t("scored.value_basis.fee", language, column=source,
                      months=i18n.format_number(horizon_days / DAYS_PER_MONTH, language, 1))
    elif basis == "expected_spend":
        customers = rows.set_index("customer_id").reindex(scored["customer_id"]).reset_index()
        if spend is None:
            values, model = expected_spend(rows, customers, source, sp.value_horizon_months)
            log.info("value model: expected %s spend over %g months, BG/NBD %s", source, sp.value_horizon_months,
                     {k: round(v, 4) for k, v in model["bgnbd"].items()})
        else:
            values = spend_of(spend, customers, source, sp.value_horizon_months)
        scored["customer_value"] = values
        scored["value_at_risk"] = p * values
        text = i18n.t("scored.value_basis.expected_spend", language,
                      event=name_forms(language, "events", "event_fallback", source, display_names)["_one"],
                      months=i18n.format_number(sp.value_horizon_months, language, 0))
    else:
        log.warning("no revenue information (no fee column, no purchase amounts): value_at_risk is unknown and the "
                    "list is ranked by churn probability")
        scored["value_at_risk"] = float("nan")
        text = i18n.t("scored.value_basis.unknown", language)
    scored["value_basis"] = text
    return scored


def _drift(features_dir: Path, meta: dict, fmeta: dict, rows: pd.DataFrame, pop: pd.DataFrame,
           threshold: float) -> pd.DataFrame:
    train_cutoffs = meta.get("split", {}).get("train") or [c for c in fmeta["cutoffs"] if c != fmeta["score_date"]]
    train_rows = pd.read_parquet(features_dir / "features.parquet",
                                 filters=[("cutoff", "in", [dt.date.fromisoformat(c) for c in train_cutoffs])])
    scored_rows = rows[rows["customer_id"].isin(pop["customer_id"])]
    return drift_table(train_rows, scored_rows, meta["features"], meta["categorical"], threshold)


def main(params_path: Path = Path("params.yaml"), explain_dir: Path = Path("data/explain"),
         features_dir: Path = Path("data/features"), model_dir: Path = Path("data/models"),
         out_dir: Path = Path("data/scored"), campaigns_dir: Path = Path("data/campaigns")) -> pd.DataFrame:
    """Run the score stage from params."""
    params = config.load_params(params_path)
    sp = config.section(params, "score", params_path)
    rp = config.section(params, "report", params_path)
    lab = config.section(params, "label", params_path)
    kind = config.business_kind(params, params_path)
    playbook = config.playbook(params, params_path, kind)
    mp = config.section(params, "mlflow", params_path)
    cp = config.section(params, "campaign", params_path)
    csv_path, parquet_path, drift_path = (out_dir / "at_risk_customers.csv", out_dir / "at_risk_customers.parquet",
                                          out_dir / "drift.csv")
    remove_outputs(csv_path, parquet_path, drift_path)

    pop = pd.read_parquet(explain_dir / "scoring_population.parquet")
    meta = read_json(model_dir / "model_meta.json")
    fmeta = read_json(features_dir / "features_meta.json")
    score_date = dt.date.fromisoformat(fmeta["score_date"])
    rows = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "==", score_date)])
    check_rule_columns(playbook, config.section(params, "playbook", params_path),
                       [*rows.columns, *pop.columns], params_path)
    check_revenue_params(sp, fmeta, params_path)
    extra = [c for c in dict.fromkeys((*SEGMENTS, sp.revenue_column, *sorted(playbook.columns())))
             if c in rows.columns and c not in pop.columns]
    scored = pop.merge(rows[["customer_id", *extra]], on="customer_id", how="left", validate="one_to_one")

    basis, source = revenue_source(sp, kind, fmeta, rows, params_path)
    scored = with_value(scored, rows, basis, source, sp, lab.horizon_days, rp.language,
                        config.section(params, "business", params_path).display_names)
    rank_by = sp.rank_by
    if rank_by == "value_at_risk" and basis == "unknown":
        log.warning("score.rank_by is value_at_risk but the data has no revenue (no fee column, no spend): ranked by "
                    "churn_probability")
        rank_by = "churn_probability"
    tiers = assign_tiers(scored["churn_probability"], sp.tiers.method, sp.tiers.high, sp.tiers.medium)
    scored["risk_tier_code"] = tiers.to_numpy()
    scored["risk_tier"] = tier_labels(tiers, rp.language).to_numpy()
    actions = recommend_actions(scored["driver_family"].fillna(""), segment_columns(scored, playbook, source, basis),
                                playbook, rp.language, kind)
    scored = pd.concat([scored, actions], axis=1)
    scored["model_version"] = model_version(explain_dir)
    out, record = campaign.with_campaign(ranked(scored, rank_by, extra), cp, fmeta["score_date"], rp.language)
    write_parquet(out, parquet_path)
    write_csv_for_spreadsheet(out, csv_path)
    cid = campaign.campaign_id(cp, fmeta["score_date"])
    record_path = campaign.write_record(record, campaigns_dir, cid)

    drift = _drift(features_dir, meta, fmeta, rows, pop, sp.drift_psi_threshold)
    with atomic_path(drift_path) as tmp:
        drift.to_csv(tmp, index=False, float_format="%.6f")
    drifted = drift[drift["drifted"]]
    for f, psi in zip(drifted["feature"], drifted["psi"]):
        log.warning("drift: feature %s has PSI %.3f against the training population (threshold %.2f)",
                    f, psi, sp.drift_psi_threshold)
    tracking.setup(mp)
    with mlflow.start_run(run_id=read_json(model_dir / "mlflow_run.json")["run_id"]):
        mlflow.log_artifact(str(drift_path), artifact_path="score")
        campaign.log_record(record_path, record, cid)
        mlflow.log_metrics({"n_drifted_features": len(drifted), "max_feature_psi": float(drift["psi"].max())})
        mlflow.log_metrics({f"psi_{f}": float(p) for f, p in zip(drifted["feature"], drifted["psi"])})
    log.info("scored %d customers at %s; %d high risk; %d drifted features",
             len(out), score_date, int((out["risk_tier_code"] == "high").sum()), len(drifted))
    return out
