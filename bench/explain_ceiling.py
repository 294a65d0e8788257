"""How far the label-weighted ceiling of the reasons moves with the sample of customers (synthetic worlds only).

The explain stage reports, beside the reasons' match against the generator's truth at the test cutoff, the
truth weighted as the labels of the earlier cutoffs weigh it (``label_weighted_explanation`` in
``data/metrics/explain_metrics.json``): what the exact explanation of a perfect model of those labels matches.
This resamples the customers with replacement (a cluster bootstrap: a customer keeps all its cutoffs),
refits the weights on each resample, and prints the weights' and the ceiling's percentiles per group, beside
the stage's own figures for the same run.

Run it after ``dvc repro`` in the repository (or ``--repo`` another copy)::

    python bench/explain_ceiling.py [--resamples 40] [--seed 1] [--repo .] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import lightgbm as lgb
import numpy as np

from features.catalog import FAMILIES
from models.retention.truth import resampled_label_weights, weighted_ceiling
from pipeline.checks.ground_truth import label_rows, label_weighted, summary, truth_population
from pipeline.core import config
from pipeline.core.io import read_json

PERCENTILES = (2.5, 50.0, 97.5)


def ceiling_spread(repo: Path, resamples: int, seed: int) -> dict:
    """The stage's label-weighted ceiling recomputed from ``repo``'s outputs, and its spread over resamples."""
    params = config.Params.load(repo / "params.yaml")
    ep = params.explain
    features_dir, labels_path = repo / "data/features", repo / "data/labels/labels.parquet"
    truth_path = repo / "data/ground_truth/drivers_at_cutoff.parquet"
    booster = lgb.Booster(model_file=str(repo / "data/models/model.txt"))
    meta = read_json(repo / "data/models/model_meta.json")
    tp = truth_population(features_dir, labels_path, truth_path, booster, meta, ep)
    if tp is None:
        raise SystemExit(f"{truth_path}: no ground truth at the test cutoff (run dvc repro on a synthetic world)")
    rows = label_rows(features_dir, labels_path, truth_path, tp)
    point = label_weighted(rows, tp)
    weights = resampled_label_weights(rows, rows["label"].to_numpy(), rows["customer_id"],
                                      rows[tp.column] if tp.column else None, n_resamples=resamples, seed=seed)
    runs = [summary(weighted_ceiling(tp.relative, w, tp.groups)) for w in weights]
    spread = {g: {m: dict(zip(map(str, PERCENTILES), np.percentile([r[g][m] for r in runs], PERCENTILES).tolist()))
                  for m in ("match_rate", "spearman_mean")} for g in tp.groups}
    return {"test_cutoff": tp.test.isoformat(), "n_label_rows": int(len(rows)),
            "n_customers": int(rows["customer_id"].nunique()), "resamples": resamples, "seed": seed,
            "point": point, "weights": {f: dict(zip(map(str, PERCENTILES), np.percentile(weights[:, i], PERCENTILES)
                                                    .tolist())) for i, f in enumerate(FAMILIES)},
            "ceiling": spread, "group_sizes": {g: int(m.sum()) for g, m in tp.groups.items()}}


def _print(out: dict) -> None:
    lo, mid, hi = map(str, PERCENTILES)
    print(f"test cutoff {out['test_cutoff']}: {out['n_label_rows']:,} labelled rows of {out['n_customers']:,} "
          f"customers before it, {out['resamples']} resamples (seed {out['seed']})")
    print(f"{'family':<12}{'weight':>8}{'2.5%':>8}{'97.5%':>8}")
    for f in FAMILIES:
        w = out["weights"][f]
        print(f"{f:<12}{out['point']['weights'][f]:>8.3f}{w[lo]:>8.3f}{w[hi]:>8.3f}")
    print(f"{'group':<12}{'n':>7}{'match':>8}{'2.5%':>8}{'50%':>8}{'97.5%':>8}{'Spearman':>10}{'2.5%':>8}{'97.5%':>8}")
    for g, n in out["group_sizes"].items():
        m, s, p = out["ceiling"][g]["match_rate"], out["ceiling"][g]["spearman_mean"], out["point"][g]
        print(f"{g:<12}{n:>7,}{p['match_rate']:>8.3f}{m[lo]:>8.3f}{m[mid]:>8.3f}{m[hi]:>8.3f}"
              f"{p['spearman_mean']:>10.3f}{s[lo]:>8.3f}{s[hi]:>8.3f}")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", type=Path, default=Path("."), help="a repository copy after dvc repro")
    ap.add_argument("--resamples", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    out = ceiling_spread(args.repo.resolve(), args.resamples, args.seed)
    _print(out)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
