"""How well a ranking finds the customers a contact saves: Qini, AUUC, uplift at depth, profit, with intervals.

Definitions (as the field uses them; the outcome is churn, so "saved" is churn prevented):

* Cumulative counts over the top ``k`` of a ranking: contacted ``n_t(k)``, held out ``n_c(k)``, churned among them
  ``c_t(k)``, ``c_c(k)``.
* **Qini curve** (Radcliffe 2007, "Using control groups to target on predicted lift"):
  ``Q(k) = c_c(k) * n_t(k) / n_c(k) - c_t(k)``, the customers saved among the top ``k``'s contacted customers, the
  holdout scaled to their number (0 while the top ``k`` holds no held-out customer). In retention units it is
  Radcliffe's ``R_t(k) - R_c(k) n_t(k) / n_c(k)`` exactly.
* **Qini coefficient**: the area between the Qini curve and the random line (from 0 to ``Q(N)``), divided by the
  same area of the optimum ranking (Radcliffe's normalisation, also scikit-uplift's ``qini_auc_score``), so it is
  comparable across campaigns; 0 is random, 1 the optimum. The optimum puts contacted customers who stayed first,
  then held-out customers who churned, contacted who churned, and held-out who stayed last.
* **Uplift curve / AUUC** (Rzepakowski & Jaroszewicz 2012; the "uplift curve" of causalml):
  ``U(k) = (c_c(k)/n_c(k) - c_t(k)/n_t(k)) * k``; AUUC is its area with both axes as shares of all customers.
* Areas are taken at every depth up to 1,000 customers, else at 1,001 evenly spread depths (``GRID``).
* **Uplift at depth** ``K``: ``c_c(K)/n_c(K) - c_t(K)/n_t(K)``, the fall in churn rate among the top ``K``.
* **Profit curve**: against ``k`` contacted, the value saved among the top ``k`` (the value-weighted churn rate of
  the held-out minus the contacted, times ``k``) minus ``contact_cost * k``.

Intervals: a seeded bootstrap of the rows, the same draws for every ranking (so differences are paired). Rankings
are sorted once; a bootstrap replicate only reweights rows, so each replicate costs O(N).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd


def order(score: np.ndarray) -> np.ndarray:
    """Rows from the highest score down; ties keep the input order (deterministic)."""
    return np.argsort(-np.asarray(score, dtype=float), kind="stable")


def _counts(idx: np.ndarray, treated: np.ndarray, churned: np.ndarray, weight: np.ndarray | None):
    """Cumulative ``n_t, n_c, c_t, c_c`` (leading 0) over the rows in ``idx`` order, each row weighted."""
    t, y = treated[idx].astype(float), churned[idx].astype(float)
    w = np.ones(len(idx)) if weight is None else weight[idx].astype(float)
    return _cumulate(w, t, t * y, y)


def _cumulate(w, t, ty, y):
    """The four cumulative counts from a row's weight, treated, treated x churned and churned (sorted rows)."""
    n = len(w)
    out = np.zeros((4, n + 1))
    np.cumsum(w, out=out[0, 1:])
    np.cumsum(w * t, out=out[1, 1:])
    np.cumsum(w * ty, out=out[2, 1:])
    np.cumsum(w * y, out=out[3, 1:])
    # rows: all, treated, treated churned, churned -> n_t, n_c, c_t, c_c
    return out[1], out[0] - out[1], out[2], out[3] - out[2]


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


def _qini(idx, treated, churned, weight=None) -> np.ndarray:
    return _qini_of(*_counts(idx, treated, churned, weight))


def _qini_of(n_t, n_c, c_t, c_c) -> np.ndarray:
    return np.where(n_c > 0, _ratio(c_c * n_t, n_c), 0.0) - np.where(n_c > 0, c_t, 0.0)


GRID = 1001  # areas are taken at this many depths at most (every depth below): the curves are smooth at scale


def _grid(n: int) -> np.ndarray:
    """The depths ``k`` (0..n) at which areas are taken: all of them up to ``GRID``, else ``GRID`` evenly spread."""
    return np.arange(n + 1) if n < GRID else np.unique(np.linspace(0, n, GRID).round().astype(np.int64))


def _area_over_random(curve: np.ndarray) -> float:
    k = _grid(len(curve) - 1)
    x = k / (len(curve) - 1)
    return float(np.trapezoid(curve[k] - x * curve[-1], x))


def optimum_order(treated: np.ndarray, churned: np.ndarray) -> np.ndarray:
    """The optimum ranking's order: contacted & stayed, held out & churned, contacted & churned, held out & stayed."""
    t, y = np.asarray(treated), np.asarray(churned)
    return order(np.select([(t == 1) & (y == 0), (t == 0) & (y == 1), (t == 1) & (y == 1)], [3, 2, 1], 0))


def qini_curve(score, treated, churned) -> np.ndarray:
    """``Q(k)`` for ``k = 0..N`` (see the module docstring)."""
    return _qini(order(score), np.asarray(treated), np.asarray(churned))


def _top(treated, churned, weight=None) -> float:
    """The optimum ranking's Qini area over random (the Qini coefficient's denominator)."""
    return _area_over_random(_qini(optimum_order(treated, churned), treated, churned, weight))


def qini_coefficient(score, treated, churned) -> float:
    """Radcliffe's normalised Qini coefficient of a ranking (0 random, 1 optimum)."""
    t, y = np.asarray(treated), np.asarray(churned)
    return _figures(order(score), _top(t, y), t, y, 0)[0]


def _uplift_of(n_t, n_c, c_t, c_c) -> np.ndarray:
    k = n_t + n_c
    both = (n_t > 0) & (n_c > 0)
    return np.where(both, (_ratio(c_c, n_c) - _ratio(c_t, n_t)) * k, 0.0)


def auuc(score, treated, churned) -> float:
    """Area under the uplift curve, both axes as shares of all customers."""
    return _figures(order(score), 1.0, np.asarray(treated), np.asarray(churned), 0)[1]


def uplift_at(score, treated, churned, depth: int) -> float:
    """The fall in churn rate among the top ``depth`` of the ranking (held-out rate minus contacted rate)."""
    return _figures(order(score), 1.0, np.asarray(treated), np.asarray(churned), depth)[2]


def profit_curve(score, treated, churned, value, contact_cost: float, points: int = 101) -> pd.DataFrame:
    """Value saved minus contact cost against the number contacted, at ``points`` depths from 0 to all.

    The value saved among the top ``k`` is ``k x`` (the held-out's value-weighted churn rate minus the
    contacted's): what contacting all ``k`` would have kept, as measured against the holdout.
    """
    idx = order(score)
    t, y, v = (np.asarray(a, dtype=float)[idx] for a in (treated, churned, value))
    zero = np.zeros(1)
    n_t, n_c = (np.concatenate([zero, np.cumsum(a)]) for a in (t, 1 - t))
    v_t, v_c = (np.concatenate([zero, np.cumsum(a)]) for a in (t * y * v, (1 - t) * y * v))
    k = np.unique(np.linspace(0, len(idx), points).round().astype(np.int64))
    saved = np.where((n_t[k] > 0) & (n_c[k] > 0), (_ratio(v_c[k], n_c[k]) - _ratio(v_t[k], n_t[k])) * k, 0.0)
    return pd.DataFrame({"n_contacted": k, "saved_value": saved, "cost": contact_cost * k,
                         "profit": saved - contact_cost * k})


@dataclasses.dataclass
class Evaluation:
    """Per ranking the point estimates and 95% bootstrap intervals; ``draws`` keeps each replicate's Qini."""

    table: dict[str, dict[str, tuple[float, float, float]]]
    draws: dict[str, np.ndarray]

    def qini(self, name: str) -> tuple[float, float, float]:
        return self.table[name]["qini"]

    def difference(self, a: str, b: str) -> tuple[float, float, float]:
        """Qini of ``a`` minus ``b`` with its paired bootstrap interval."""
        d = self.draws[a] - self.draws[b]
        return (self.qini(a)[0] - self.qini(b)[0], *_interval(d))


def _interval(draws: np.ndarray) -> tuple[float, float]:
    ok = draws[np.isfinite(draws)]
    if not len(ok):
        return float("nan"), float("nan")
    lo, hi = np.quantile(ok, [0.025, 0.975])
    return float(lo), float(hi)


def _figures(idx, top: float, t, y, depth, weight=None, counts=None) -> tuple[float, float, float]:
    """Qini coefficient (``top``: the optimum's area over random), AUUC and uplift at depth from one pass."""
    n_t, n_c, c_t, c_c = counts if counts is not None else _counts(idx, t, y, weight)
    d = min(depth, len(idx))
    at = float(c_c[d] / n_c[d] - c_t[d] / n_t[d]) if n_t[d] > 0 and n_c[d] > 0 else float("nan")
    k = _grid(len(idx))
    x = k / len(idx)
    n_t, n_c, c_t, c_c = n_t[k], n_c[k], c_t[k], c_c[k]
    q = _qini_of(n_t, n_c, c_t, c_c)
    qini = float(np.trapezoid(q - x * q[-1], x)) / top if top > 0 else float("nan")
    area = float(np.trapezoid(_uplift_of(n_t, n_c, c_t, c_c) / (n_t[-1] + n_c[-1]), x))
    return qini, area, at


FIGURES: tuple[str, ...] = ("qini", "auuc", "uplift_at_depth")


def evaluate(rankings: dict[str, np.ndarray], treated, churned, depth: int, n_boot: int = 200,
             seed: int = 0) -> Evaluation:
    """Qini, AUUC and uplift at ``depth`` of every ranking, with paired bootstrap intervals.

    Args:
        rankings: name -> score (higher = contact first), e.g. the model's ``expected_uplift``, churn probability
            and a random score.
        treated, churned: 0/1 per row: assigned to contact; churned within the horizon.
        depth: the contact depth (how many the campaign contacts) for uplift at depth.
        n_boot: bootstrap replicates (rows drawn with replacement).
        seed: the bootstrap's seed.
    """
    t, y = np.asarray(treated, dtype=np.int64), np.asarray(churned, dtype=np.int64)
    n = len(t)
    idx = {name: order(s) for name, s in rankings.items()}
    rng = np.random.default_rng(seed)
    boot = {name: np.empty((n_boot, len(FIGURES))) for name in rankings}
    tf, yf = t.astype(float), y.astype(float)
    sorted_rows = {name: (tf[i], tf[i] * yf[i], yf[i]) for name, i in idx.items()}
    for b in range(n_boot):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        top = _top(t, y, w)
        for name, i in idx.items():
            boot[name][b] = _figures(i, top, t, y, depth, counts=_cumulate(w[i], *sorted_rows[name]))
    table, top = {}, _top(t, y)
    for name, i in idx.items():
        point = _figures(i, top, t, y, depth)
        table[name] = {f: (point[j], *_interval(boot[name][:, j])) for j, f in enumerate(FIGURES)}
    return Evaluation(table, {name: boot[name][:, 0] for name in rankings})
