"""The explain stage's checks against a synthetic world's ground truth, and ``explain_metrics.json``.

The generator writes ``data/ground_truth/``: the driver of each churn in its churn week (``drivers.parquet``)
and each customer's six family contributions at every cutoff (``drivers_at_cutoff.parquet``). The explain
stage explains the test cutoff's customers as it explains the scoring population and reports how its reasons
match both (:func:`driver_match`, :func:`truth_at_cutoff`), beside two references: the exact explanation of
the generator's own hazard (100% by construction) and the truth weighted as the labels weigh it
(:func:`label_weighted`: what a faithful explanation of a perfect model of those labels matches).
``bench/explain_ceiling.py`` resamples the customers to show how far that reference moves. Without ground
truth (real data) every check is None.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.catalog import FAMILIES
from models.predict import ChurnModel
from models.retention.drivers import family_contributions
from models.retention.explain_customers import explain_customers
from models.retention.truth import driver_match_report, label_weights, relative_truth, truth_match, weighted_ceiling
from pipeline.core import config


def driver_match(features_dir: Path, labels_path: Path, drivers_path: Path, booster: lgb.Booster, meta: dict,
                 language: str, ep=None, families: dict[str, str] | None = None) -> dict | None:
    """Share of test-cutoff churners whose top reason's family is their ground-truth driver family.

    The churners are explained exactly as the scoring population is: against the
    customers labelled at the test cutoff (the population the model was tested on).

    Returns:
        Overall and per-family match rates with counts, the explained family of
        the mismatches per true family, or None without ground truth.
    """
    ep = ep if ep is not None else config.ExplainParams()
    test = meta.get("split", {}).get("test")
    if not drivers_path.exists() or test is None:
        return None
    drivers = pd.read_parquet(drivers_path)
    if drivers.empty:
        return None
    test_cutoff = dt.date.fromisoformat(test)
    labels = pd.read_parquet(labels_path, filters=[("cutoff", "==", test_cutoff)])
    churners = labels.loc[labels["label"] == 1, ["customer_id"]].merge(drivers, on="customer_id")
    if churners.empty:
        return None
    population = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "==", test_cutoff)])
    population = population.merge(labels[["customer_id"]], on="customer_id")
    population = population.sort_values("customer_id", kind="stable").reset_index(drop=True)
    rows = population.merge(churners, on="customer_id").sort_values("customer_id", kind="stable").reset_index(drop=True)
    top, _, _, _ = explain_customers(booster, meta, rows, population, ep.model_copy(update={"top_k": 1}), language,
                                     families=families)
    report = driver_match_report(top["driver_family"].to_numpy(), rows["dominant_driver"].to_numpy())
    return {"driver_match_rate": report["driver_match_rate"], "n_churners": int(len(rows)), "test_cutoff": test,
            "per_family": report["per_family"],
            "method": {"method": ep.method, "driver": ep.driver, "reference_segment": ep.reference_segment,
                       "reference_quantile": ep.reference_quantile, "reference_size": ep.reference_size}}


@dataclasses.dataclass
class TruthPopulation:
    """The customers labelled at the test cutoff, with their true relative contributions and the three groups."""

    test: dt.date
    column: str | None                 # the reference segment (``explain.reference_segment``), if the data has it
    population: pd.DataFrame           # their feature rows and label, by customer_id
    relative: np.ndarray               # (n, 6) true contributions relative to the segment's mean
    groups: dict[str, np.ndarray]      # churners, top_decile (by this model's risk), everyone


def truth_population(features_dir: Path, labels_path: Path, truth_path: Path, booster: lgb.Booster, meta: dict,
                     ep) -> TruthPopulation | None:
    """The test cutoff's customers against the generator's truth at that cutoff (None without that truth).

    The truth is ``drivers_at_cutoff.parquet``: the six family contributions of the hazard the oracle uses, made
    relative to the mean of the customers active at the cutoff in the same segment (``explain.reference_segment``,
    the population explain compares with). Groups: (a) the churners, (b) the 10% with the highest predicted
    risk, (c) everyone.
    """
    test = meta.get("split", {}).get("test")
    if not truth_path.exists() or test is None:
        return None
    cutoff = dt.date.fromisoformat(test)
    truth = pd.read_parquet(truth_path, filters=[("cutoff", "==", cutoff)])
    if truth.empty:
        return None
    everyone = pd.read_parquet(features_dir / "features.parquet", filters=[("cutoff", "==", cutoff)])
    column = ep.reference_segment if ep.reference_segment in everyone.columns else None
    truth = truth.merge(everyone[["customer_id", *([column] if column else [])]], on="customer_id", how="inner")
    truth["_relative"] = list(relative_truth(truth, truth[column] if column else None))
    labels = pd.read_parquet(labels_path, filters=[("cutoff", "==", cutoff)])
    population = everyone.merge(labels[["customer_id", "label"]], on="customer_id")
    population = population.merge(truth[["customer_id", "_relative"]], on="customer_id")
    population = population.sort_values("customer_id", kind="stable").reset_index(drop=True)
    if population.empty:
        return None
    relative = np.stack(population["_relative"].to_numpy())
    risk = ChurnModel(booster, meta).predict_proba(population)
    top = np.zeros(len(population), dtype=bool)
    top[np.argsort(-risk, kind="stable")[: int(np.ceil(0.1 * len(population)))]] = True
    groups = {"churners": population["label"].to_numpy() == 1, "top_decile": top,
              "everyone": np.ones(len(population), dtype=bool)}
    return TruthPopulation(cutoff, column, population, relative, groups)


def truth_at_cutoff(features_dir: Path, labels_path: Path, truth_path: Path, booster: lgb.Booster, meta: dict,
                    language: str, ep, profile: str | None = None,
                    families: dict[str, str] | None = None) -> dict | None:
    """The explanations at the test cutoff against the generator's truth at that cutoff (synthetic data only).

    Every customer labelled at the test cutoff (:func:`truth_population`) is explained as the scoring population
    is (against the same-segment customers of that cutoff).

    Returns:
        ``{"test_cutoff", "groups": {churners, top_decile, everyone}, "exact_explanation",
        "label_weighted_explanation"}``, or None.
    """
    tp = truth_population(features_dir, labels_path, truth_path, booster, meta, ep)
    if tp is None:
        return None
    population = tp.population
    reasons, contributions, _, _ = explain_customers(booster, meta, population, population,
                                                    ep.model_copy(update={"top_k": 1}), language, profile,
                                                    families=families)
    tenure = pd.to_numeric(population["tenure_days"], errors="coerce").astype("float64").to_numpy() \
        if "tenure_days" in population.columns else None
    explained = family_contributions(contributions, meta["features"], tenure, families)
    found = truth_match(reasons["driver_family"].to_numpy(), explained, tp.relative, tp.groups)
    true_family = np.array(FAMILIES, dtype=object)[tp.relative.argmax(axis=1)]
    exact = truth_match(true_family, tp.relative, tp.relative, tp.groups)   # the generator's own hazard, exactly
    return {"test_cutoff": tp.test.isoformat(), "reference_segment": tp.column, "groups": found,
            "exact_explanation": summary(exact),
            "label_weighted_explanation": label_weighted(label_rows(features_dir, labels_path, truth_path, tp), tp)}


def label_weighted(rows: pd.DataFrame, tp: TruthPopulation) -> dict | None:
    """The exact truth weighted as the labels of the earlier cutoffs weigh it: what a faithful explanation of a
    perfect model of those labels would match (None without churners and stayers before the test cutoff)."""
    weights = label_weights(rows, rows["label"].to_numpy(), rows[tp.column] if tp.column else None)
    if np.isnan(weights).any():
        return None
    ceiling = weighted_ceiling(tp.relative, weights, tp.groups)
    return {"weights": dict(zip(FAMILIES, map(float, weights))), **summary(ceiling)}


def summary(match: dict) -> dict:
    """Per group, only the match rate and the mean Spearman correlation of :func:`truth_match`'s report."""
    return {g: {"match_rate": v["match_rate"], "spearman_mean": v["spearman_mean"]} for g, v in match.items()}


def label_rows(features_dir: Path, labels_path: Path, truth_path: Path, tp: TruthPopulation) -> pd.DataFrame:
    """The truth of every labelled (customer, cutoff) before the test cutoff, with its label and segment: what
    :func:`models.retention.truth.label_weights` fits (an intercept per reference segment)."""
    keys = ["customer_id", "cutoff"]
    truth = pd.read_parquet(truth_path, columns=[*keys, *FAMILIES], filters=[("cutoff", "<", tp.test)])
    labels = pd.read_parquet(labels_path, columns=[*keys, "label"], filters=[("cutoff", "<", tp.test)])
    rows = truth.merge(labels, on=keys)
    if tp.column:
        segments = pd.read_parquet(features_dir / "features.parquet", columns=[*keys, tp.column],
                                   filters=[("cutoff", "<", tp.test)])
        rows = rows.merge(segments, on=keys)
    return rows.sort_values(keys, kind="stable").reset_index(drop=True)


def explain_metrics(churn_week: dict | None, at_cutoff: dict | None) -> dict:
    """``explain_metrics.json``: the truth at the cutoff (flat keys per group, then details) and the churn week."""
    if churn_week is None and at_cutoff is None:
        return {"driver_match_rate": None, "note": "no ground truth for this data source"}
    out: dict = {}
    if at_cutoff:
        for g, v in at_cutoff["groups"].items():
            out[f"truth_match_rate_{g}"] = v["match_rate"]
            out[f"truth_spearman_{g}"] = v["spearman_mean"]
            out[f"truth_n_{g}"] = v["n"]
        out["truth_at_cutoff"] = at_cutoff
    if churn_week:   # the earlier measure, kept for continuity: the driver in the churn week, after the cutoff
        out.update({k: churn_week[k] for k in ("driver_match_rate", "n_churners", "test_cutoff")})
        out["churn_week"] = churn_week
    return out
