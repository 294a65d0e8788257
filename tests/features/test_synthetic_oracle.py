"""The continuation oracle (features/synthetic/subscription/continuation.py): calibrated against the labels, blind
to the world after the cutoff, and leaving the world's tables byte for byte as they were."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest

from features.synthetic.subscription import SyntheticConfig
from features.synthetic.subscription.continuation import continuation_probability
from features.synthetic.subscription.hazard import Week, oracle
from features.synthetic.subscription.simulate import ChunkOutput, simulate_week
from features.synthetic.subscription.state import CustomerState
from features.synthetic.subscription.world import make_world, signup_days
from models.retention.truth import cluster_resamples
from pipeline.stages.generate import write_world

H = 30
CUTOFFS = [date(2023, m, 28) for m in range(6, 13)] + [date(2024, m, 28) for m in range(1, 12)]
WORLD_FILES = ("raw/customers.parquet", "raw/events.parquet", "raw/tickets.parquet", "truth/drivers.parquet",
               "truth/drivers_at_cutoff.parquet")


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """A small world's labelled oracle rows: the continuation and frozen probabilities and the label."""
    root = tmp_path_factory.mktemp("oracle")
    write_world(root / "raw", root / "truth", SyntheticConfig(n_customers=3000, seed=13, oracle_continuations=16),
                CUTOFFS, H)
    return duckdb.connect().execute(
        f"""select o.customer_id, o.oracle_probability as p, o.oracle_probability_frozen as p_frozen,
                  (c.churn_date is not null and c.churn_date <= o.cutoff + {H})::int as y
           from read_parquet('{root / 'truth' / 'oracle.parquet'}') o
           join read_parquet('{root / 'raw' / 'customers.parquet'}') c using (customer_id)
           where o.cutoff + {H} <= date '2024-12-31'"""
    ).df()


def test_calibrated_against_the_labels_in_bins(labelled):
    """In each fifth of the oracle's probability the churn rate is the mean probability, within the noise of a
    bootstrap by customer (a customer's rows at successive cutoffs are not independent)."""
    df = labelled
    assert len(df) > 20_000 and df["y"].sum() > 300
    bins = np.searchsorted(np.quantile(df["p"], [0.2, 0.4, 0.6, 0.8]), df["p"].to_numpy(), side="right")
    p, y = df["p"].to_numpy(), df["y"].to_numpy()
    gaps = []
    for rows in cluster_resamples(df["customer_id"], 200, seed=1):
        b, pr, yr = bins[rows], p[rows], y[rows]
        gaps.append([yr[b == k].mean() - pr[b == k].mean() for k in range(5)])
    lo, hi = np.quantile(np.array(gaps), [0.005, 0.995], axis=0)
    observed = np.array([y[bins == k].mean() - p[bins == k].mean() for k in range(5)])
    centred_lo, centred_hi = observed - (hi - observed), observed - (lo - observed)  # the basic bootstrap interval
    assert ((centred_lo <= 0) & (0 <= centred_hi)).all(), (observed, lo, hi)
    # and the whole mean: the labels' churn rate
    assert abs(y.mean() / p.mean() - 1) < 0.1


def test_ranks_the_labels_at_least_as_well_as_the_frozen_figure(labelled):
    from sklearn.metrics import log_loss, roc_auc_score

    y = labelled["y"].to_numpy()
    assert roc_auc_score(y, labelled["p"]) >= roc_auc_score(y, labelled["p_frozen"]) - 0.005
    assert log_loss(y, labelled["p"]) <= log_loss(y, labelled["p_frozen"]) + 1e-4


def _chunk_at(cfg: SyntheticConfig, cutoff_day: int):
    """The world's single chunk run up to the start of the week containing ``cutoff_day + 1``."""
    world = make_world(cfg)
    signup = signup_days(cfg, world.n_days)
    rng = np.random.default_rng([cfg.seed, 0])
    state = CustomerState.draw(cfg, world, rng, signup)
    w = (cutoff_day + 1) // 7
    out = ChunkOutput()
    for wk in range(int(signup.min()) // 7, w):
        simulate_week(cfg, world, state, wk, out, (), H, rng)
    P = np.flatnonzero((state.signup_day <= min(7 * w + 6, world.end_day)) & (state.churn_day < 0))
    week = Week(w, 7 * w, min(7 * w + 6, world.end_day), P, np.maximum(0, 7 * w - state.signup_day[P]))
    return world, state, w, week


def test_reads_nothing_of_the_world_after_the_cutoff():
    """Another future (the outages, the season and the end of the data after the cutoff, the churn days the world
    would draw) gives the same oracle, draw for draw."""
    from features.synthetic.subscription.hazard import hazard

    cfg = SyntheticConfig(n_customers=600, seed=3)
    cutoff = 400
    world, state, w, week = _chunk_at(cfg, cutoff)
    cust, _, _ = oracle(state, world, week, hazard(state, week), cutoff, H)
    assert cust.size > 100

    def run(world_, state_):
        return continuation_probability(cfg, state_, world_, w, cust, cutoff, H, np.random.default_rng(5), 8)

    base = run(world, state)
    future = world.outage.copy()
    future[w:] = ~future[w:]
    season = world.week_season.copy()
    season[w + 1:] *= 1.7
    other_world = dataclasses.replace(world, outage=future, week_season=season, n_days=world.n_days - 100)
    other_state = dataclasses.replace(state)
    other_state.churn_day = state.churn_day.copy()
    other_state.churn_day[cust[::2]] = cutoff + 3
    np.testing.assert_array_equal(run(other_world, other_state), base)
    # and it read the state: another past changes it
    past = dataclasses.replace(state)
    past.eng = state.eng - 1.0
    assert not np.allclose(run(world, past), base)


def _digests(root: Path) -> dict[str, str]:
    return {f: hashlib.sha256((root / f).read_bytes()).hexdigest() for f in WORLD_FILES}


def test_the_world_is_the_same_bytes_whatever_the_continuations(tmp_path):
    cfg = SyntheticConfig(n_customers=800, seed=9, chunk_customers=300)
    write_world(tmp_path / "a" / "raw", tmp_path / "a" / "truth", cfg, CUTOFFS, H)
    write_world(tmp_path / "b" / "raw", tmp_path / "b" / "truth", dataclasses.replace(cfg, oracle_continuations=3),
                CUTOFFS, H)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    a = duckdb.connect().execute(f"select * from read_parquet('{tmp_path / 'a' / 'truth' / 'oracle.parquet'}')").df()
    b = duckdb.connect().execute(f"select * from read_parquet('{tmp_path / 'b' / 'truth' / 'oracle.parquet'}')").df()
    assert a["oracle_probability_frozen"].equals(b["oracle_probability_frozen"])
    assert not a["oracle_probability"].equals(b["oracle_probability"])
