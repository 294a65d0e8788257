"""SHAP contributions of a LightGBM churn model, and global driver importance.

Contributions are in log-odds (the model's raw score): for every customer,
``contributions.sum(1) + base_value == booster.predict(X, raw_score=True)``.
With :func:`shap_contributions` the base value is the training population's;
with :func:`interventional_contributions` / :func:`segment_contributions` it is
the mean log-odds of the reference customers (per customer: its segment's).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import warnings

import lightgbm
import numpy as np
import pandas as pd

from features.catalog import FAMILIES, family_of
from models.linear import LinearPart, blend

LOGGER = logging.getLogger(__name__)


def _aligned(booster: lightgbm.Booster, X: pd.DataFrame) -> pd.DataFrame:
    """Return X with the booster's feature columns in the booster's order."""
    expected = booster.feature_name()
    missing = [c for c in expected if c not in X.columns]
    if missing:
        raise ValueError(
            f"X has {X.shape[1]} columns but the model expects {len(expected)} features; "
            f"{len(missing)} are missing, e.g. {missing[:5]}"
        )
    if booster.num_model_per_iteration() != 1:
        raise ValueError(
            f"the model has {booster.num_model_per_iteration()} outputs per iteration; "
            "only binary or regression models (one output) are supported"
        )
    return X if list(X.columns) == expected else X[expected]


def _base_value(booster: lightgbm.Booster, X: pd.DataFrame) -> float:
    """Base value (the same for every row) from a single all-missing row."""
    one = X.iloc[:0].reindex(index=[0])
    return float(booster.predict(one, pred_contrib=True)[0, -1])


def shap_contributions(booster: lightgbm.Booster, X: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Exact TreeSHAP contributions with LightGBM's native implementation.

    Args:
        booster: a trained binary LightGBM booster.
        X: features, one row per customer; pandas categorical columns are fine.
            Columns are reordered to the booster's feature order.

    Returns:
        ``(contributions, base_value)``: an ``(n, n_features)`` array in log-odds,
        columns in ``booster.feature_name()`` order, and the base value.
    """
    X = _aligned(booster, X)
    if len(X) == 0:
        return np.zeros((0, X.shape[1])), _base_value(booster, X)
    out = np.asarray(booster.predict(X, pred_contrib=True))
    return out[:, :-1], float(out[0, -1])


def treeexplainer_contributions(
    booster: lightgbm.Booster, X: pd.DataFrame, algorithm: str = "auto"
) -> tuple[np.ndarray, float]:
    """The same contributions through ``shap.TreeExplainer``, for comparison.

    Args:
        booster: a trained binary LightGBM booster.
        X: features as for :func:`shap_contributions`.
        algorithm: ``"auto"`` is shap's default, which for a LightGBM booster
            hands the work to LightGBM's own ``pred_contrib``; ``"shap_internal"``
            forces shap's own C++ TreeSHAP on the parsed trees, an independent
            implementation (numeric features only: shap mis-parses LightGBM
            categorical splits).

    Returns:
        ``(contributions, base_value)`` as :func:`shap_contributions`.
    """
    import shap

    X = _aligned(booster, X)
    explainer = shap.TreeExplainer(booster)
    if algorithm == "shap_internal":
        categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if categorical:
            raise ValueError(
                f"algorithm='shap_internal' needs numeric features; categorical columns: {categorical[:5]}"
            )
        # Skips shap's shortcut to LightGBM's pred_contrib (used when model_type != "internal").
        explainer.model.model_type = "internal"
        data: pd.DataFrame | np.ndarray = X.to_numpy(dtype=float)
    elif algorithm == "auto":
        data = X
    else:
        raise ValueError(f"algorithm {algorithm!r} is not supported; expected 'auto' or 'shap_internal'")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="LightGBM binary classifier")
        values = explainer.shap_values(data)
    values = np.asarray(values)
    if values.ndim == 3:  # older shap: one array per class
        values = values[..., -1]
    base = np.ravel(explainer.expected_value)[-1]
    return values, float(base)


def feature_importance(contributions: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """Global importance: mean |SHAP| per feature.

    Args:
        contributions: ``(n, n_features)`` contributions.
        feature_names: the column of each contribution.

    Returns:
        A frame with ``feature``, ``family``, ``mean_abs_shap`` and ``share``
        (of the total, sums to 1), most important first.
    """
    contrib = np.asarray(contributions, dtype=float)
    if contrib.ndim != 2 or contrib.shape[1] != len(feature_names):
        raise ValueError(f"contributions have shape {contrib.shape}; expected (n, {len(feature_names)})")
    mean_abs = np.nanmean(np.abs(contrib), axis=0) if len(contrib) else np.zeros(len(feature_names))
    total = mean_abs.sum()
    frame = pd.DataFrame(
        {
            "feature": list(feature_names),
            "family": [family_of(f) for f in feature_names],
            "mean_abs_shap": mean_abs,
            "share": mean_abs / total if total > 0 else np.zeros_like(mean_abs),
        }
    )
    return frame.sort_values(["mean_abs_shap", "feature"], ascending=[False, True], ignore_index=True)


def family_importance(contributions: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """Global importance per driver family: sum of its features' mean |SHAP|.

    Args:
        contributions: ``(n, n_features)`` contributions.
        feature_names: the column of each contribution.

    Returns:
        A frame with ``family``, ``mean_abs_shap`` and ``share`` (sums to 1 when
        any contribution is non-zero), one row per family of ``FAMILIES``,
        most important first.
    """
    per_feature = feature_importance(contributions, feature_names)
    grouped = per_feature.groupby("family")["mean_abs_shap"].sum().reindex(list(FAMILIES), fill_value=0.0)
    total = grouped.sum()
    frame = pd.DataFrame(
        {
            "family": grouped.index,
            "mean_abs_shap": grouped.to_numpy(),
            "share": grouped.to_numpy() / total if total > 0 else np.zeros(len(grouped)),
        }
    )
    return frame.sort_values(["mean_abs_shap", "family"], ascending=[False, True], ignore_index=True)


# ---------------------------------------------------------------------------
# Interventional TreeSHAP against a reference group of customers
#
# LightGBM's ``pred_contrib`` (above) is path-dependent TreeSHAP: it explains a
# customer against the *training population* as the trees saw it. When a
# feature mostly encodes a structural segment (``days_to_renewal`` encodes
# monthly vs annual, and the model's first split is on it), every monthly
# customer's top reason is "renewal soon": true against the whole base, useless
# for retention. Interventional (baseline) SHAP explains ``f(x) - mean_r f(r)``
# for a chosen reference set R of real customers, e.g. the customers on the
# same contract, so the reasons say what sets this customer apart from peers.
#
# shap.TreeExplainer cannot do this for boosters with categorical splits (it
# refuses background data and mis-parses the split sets), so it is implemented
# here from the booster's own dump, with LightGBM's decision rules. The result
# is exact (no sampling of coalitions): for a leaf reached by the hybrid of x
# and r the features on its path split into A (only x satisfies the path),
# B (only r does) and the rest (both); the leaf value v gives each i in A
# v (|A|-1)! |B|! / (|A|+|B|)! and each j in B -v |A|! (|B|-1)! / (|A|+|B|)!.
# Customers and references are grouped per leaf by which path conditions they
# satisfy, so the cost grows with customers + references (times the few distinct
# patterns per leaf), not with their product.


_ZERO_THRESHOLD = 1e-35  # LightGBM's kZeroThreshold


@dataclasses.dataclass(frozen=True)
class _Split:
    feature: int
    categories: np.ndarray | None  # categorical split: codes that go left
    threshold: float
    default_left: bool
    missing_type: str  # "None" | "Zero" | "NaN"


@dataclasses.dataclass(frozen=True)
class _Tree:
    splits: tuple[_Split, ...]
    leaves: tuple[tuple[float, tuple[tuple[int, bool], ...]], ...]  # (value, ((split index, went left), ...))


def _parse_trees(booster: lightgbm.Booster) -> list[_Tree]:
    """The booster's trees as split lists and root-to-leaf paths (from ``dump_model``)."""
    dump = booster.dump_model()
    if dump.get("num_tree_per_iteration", 1) != 1:
        raise ValueError("only binary or regression models (one output) are supported")
    trees = []
    for info in dump["tree_info"]:
        splits: list[_Split] = []
        leaves: list[tuple[float, tuple[tuple[int, bool], ...]]] = []
        stack: list[tuple[dict, tuple[tuple[int, bool], ...]]] = [(info["tree_structure"], ())]
        while stack:
            node, path = stack.pop()
            if "split_index" not in node:
                if "leaf_coeff" in node:
                    raise ValueError("linear trees are not supported by the interventional explainer")
                leaves.append((float(node["leaf_value"]), path))
                continue
            i = len(splits)
            if node["decision_type"] == "==":
                cats = np.array([int(c) for c in str(node["threshold"]).split("||")], dtype=np.int64)
                splits.append(_Split(int(node["split_feature"]), cats, np.nan, False, str(node["missing_type"])))
            else:
                splits.append(_Split(int(node["split_feature"]), None, float(node["threshold"]),
                                     bool(node["default_left"]), str(node["missing_type"])))
            stack.append((node["right_child"], path + ((i, False),)))
            stack.append((node["left_child"], path + ((i, True),)))
        trees.append(_Tree(tuple(splits), tuple(leaves)))
    return trees


def _as_float_matrix(booster: lightgbm.Booster, X: pd.DataFrame) -> np.ndarray:
    """X as LightGBM sees it: categorical columns become codes of the booster's own levels (NaN if unseen)."""
    X = _aligned(booster, X)
    levels = list(booster.pandas_categorical or [])
    cat_cols = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    if len(cat_cols) != len(levels):
        raise ValueError(f"X has {len(cat_cols)} categorical columns but the booster was trained with {len(levels)}")
    out = np.empty(X.shape, dtype=float)
    cat_levels = dict(zip(cat_cols, levels))
    for j, col in enumerate(X.columns):
        if col in cat_levels:
            codes = pd.Categorical(X[col].astype(object), categories=cat_levels[col]).codes.astype(float)
            codes[codes < 0] = np.nan
            out[:, j] = codes
        else:
            out[:, j] = pd.to_numeric(X[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return out


def _goes_left(values: np.ndarray, split: _Split) -> np.ndarray:
    """LightGBM's decision for one split (tree.h NumericalDecision / CategoricalDecision)."""
    if split.categories is not None:
        ok = ~np.isnan(values) & (values >= 0)
        return ok & np.isin(np.where(ok, values, -1).astype(np.int64), split.categories)
    nan = np.isnan(values)
    if split.missing_type == "NaN":
        return np.where(nan, split.default_left, values <= split.threshold)
    values = np.where(nan, 0.0, values)
    if split.missing_type == "Zero":
        return np.where(np.abs(values) <= _ZERO_THRESHOLD, split.default_left, values <= split.threshold)
    return values <= split.threshold


def _popcount(bits: np.ndarray) -> np.ndarray:
    bits = bits.astype(np.int64).copy()
    count = np.zeros_like(bits)
    while bits.any():
        count += bits & 1
        bits >>= 1
    return count


def interventional_contributions(
    booster: lightgbm.Booster, X: pd.DataFrame, reference: pd.DataFrame, groups: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Exact interventional TreeSHAP of each row of X against a reference set of rows.

    Args:
        booster: a trained binary LightGBM booster (categorical splits are fine).
        X: the customers to explain.
        reference: the reference customers (same columns); the explanation is
            ``f(x) - mean over r of f(r)`` in log-odds.
        groups: optional player index per booster feature (e.g. its family), to
            attribute to groups of features jointly instead of single features.

    Returns:
        ``(contributions, reference_value)``: ``(n, n_features)`` (or ``(n, n_groups)``)
        log-odds with ``contributions.sum(1) + reference_value == raw score``, and
        the mean raw score of the reference rows.
    """
    n_features = len(booster.feature_name())
    player = np.arange(n_features) if groups is None else np.asarray(groups, dtype=np.int64)
    if player.shape != (n_features,):
        raise ValueError(f"groups must give one player per feature ({n_features}), got shape {player.shape}")
    n_players = int(player.max()) + 1 if n_features else 0
    Xf, Rf = _as_float_matrix(booster, X), _as_float_matrix(booster, reference)
    n, k = len(Xf), len(Rf)
    if k == 0:
        raise ValueError("the reference set is empty")
    reference_value = float(np.mean(booster.predict(_aligned(booster, reference), raw_score=True)))
    contrib = np.zeros((n, n_players))
    if n == 0:
        return contrib, reference_value
    factorial = np.array([float(math.factorial(i)) for i in range(171)])
    for tree in _parse_trees(booster):
        if not tree.splits:
            continue  # a constant tree moves f(x) and f(r) alike
        left_x = np.stack([_goes_left(Xf[:, s.feature], s) for s in tree.splits], axis=1)
        left_r = np.stack([_goes_left(Rf[:, s.feature], s) for s in tree.splits], axis=1)
        for value, path in tree.leaves:
            conditions: dict[int, list[tuple[int, bool]]] = {}
            for split, went_left in path:
                conditions.setdefault(int(player[tree.splits[split].feature]), []).append((split, went_left))
            players = list(conditions)
            d = len(players)
            if d > 62:
                raise ValueError("a leaf path has more than 62 distinct players")
            pattern_x = np.zeros(n, dtype=np.int64)
            pattern_r = np.zeros(k, dtype=np.int64)
            for bit, p in enumerate(players):
                ok_x = np.ones(n, dtype=bool)
                ok_r = np.ones(k, dtype=bool)
                for split, went_left in conditions[p]:
                    ok_x &= left_x[:, split] == went_left
                    ok_r &= left_r[:, split] == went_left
                pattern_x |= ok_x.astype(np.int64) << bit
                pattern_r |= ok_r.astype(np.int64) << bit
            full = (1 << d) - 1
            ux, which = np.unique(pattern_x, return_inverse=True)
            ur, counts = np.unique(pattern_r, return_counts=True)
            reached = (ux[:, None] | ur[None, :]) == full  # every path condition met by x or r
            a = np.broadcast_to(_popcount(full & ~ur)[None, :], reached.shape)  # only x meets them
            b = np.broadcast_to(_popcount(full & ~ux)[:, None], reached.shape)  # only r meets them
            reached &= (a + b) > 0
            if not reached.any():
                continue
            share = counts / k
            w_a = np.where(reached & (a > 0), factorial[np.maximum(a - 1, 0)] * factorial[b] / factorial[a + b], 0.0)
            w_b = np.where(reached & (b > 0), factorial[a] * factorial[np.maximum(b - 1, 0)] / factorial[a + b], 0.0)
            bits = 1 << np.arange(d, dtype=np.int64)
            in_a = (~ur[:, None] & bits[None, :]) != 0  # (patterns of r, players)
            in_b = (~ux[:, None] & bits[None, :]) != 0  # (patterns of x, players)
            table = value * ((w_a * share) @ in_a - (w_b @ share)[:, None] * in_b)
            contrib[:, players] += table[which]
    return contrib, reference_value


_MISSING = "\x00missing"  # group key of customers without a segment value


def _segment_keys(segment: pd.Series | None, n: int) -> np.ndarray:
    """Segment value of every row as text ("" for everybody when there is no segment column)."""
    if segment is None:
        return np.full(n, "", dtype=object)
    return segment.astype("string").fillna(_MISSING).to_numpy(dtype=object)


def reference_groups(
    segment: pd.Series | None,
    risk: np.ndarray,
    quantile: float = 1.0,
    size: int | None = 1000,
) -> dict[str, np.ndarray]:
    """Positional indices of the reference customers of each segment value.

    Args:
        segment: the segment of every candidate reference customer (e.g. contract),
            or None for one group of everybody (key ""). Missing values form their own group.
        risk: the model's raw score of every candidate (ranks "healthy" customers).
        quantile: keep the ``quantile`` lowest-risk share of each segment (1.0: all).
        size: at most this many per segment, evenly spread over the kept rows in
            their given order (deterministic; None: all).

    Returns:
        ``{segment value: indices}``.
    """
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must be in (0, 1], got {quantile}")
    if size is not None and size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    risk = np.asarray(risk, dtype=float)
    keys = _segment_keys(segment, len(risk))
    out: dict[str, np.ndarray] = {}
    for key in pd.unique(keys):
        idx = np.flatnonzero(keys == key)
        if quantile < 1:
            keep = max(1, int(math.ceil(quantile * idx.size)))
            idx = np.sort(idx[np.argsort(risk[idx], kind="stable")[:keep]])
        if size is not None and idx.size > size:
            idx = idx[np.unique(np.linspace(0, idx.size - 1, size).round().astype(np.int64))]
        out[str(key)] = idx
    return out


def segment_contributions(
    booster: lightgbm.Booster,
    X: pd.DataFrame,
    segment: pd.Series | None,
    reference_X: pd.DataFrame,
    reference_segment: pd.Series | None,
    quantile: float = 1.0,
    size: int | None = 1000,
    linear: LinearPart | None = None,
    linear_weight: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interventional TreeSHAP of every customer against reference customers of its own segment.

    Customers whose segment value has no reference customer (or no value) are
    explained against all reference customers.

    Args:
        booster: the model.
        X: the customers to explain (model matrix).
        segment: their segment values (None: no segments).
        reference_X: the candidate reference customers (model matrix), e.g. the scored population.
        reference_segment: their segment values (None: no segments).
        quantile, size: see :func:`reference_groups`.
        linear, linear_weight: the model's linear part and its blend weight (``train.linear_blend``);
            its exact SHAP values against the same reference customers are blended in.

    Returns:
        ``(contributions, reference_value, reference)``: contributions in log-odds
        (columns in booster order) with ``contributions.sum(1) + reference_value``
        equal to the raw score, and per customer the segment value it was
        compared with ("" when compared with everybody).
    """
    X = _aligned(booster, X)
    reference_X = _aligned(booster, reference_X)
    if len(reference_X) == 0:
        raise ValueError("no reference customers")
    risk = booster.predict(reference_X, raw_score=True)
    if linear is not None and linear_weight:
        risk = blend(risk, linear.raw(reference_X), linear_weight)
    everybody = reference_groups(None, risk, quantile, size)[""]
    if segment is None or reference_segment is None:
        groups: dict[str, np.ndarray] = {}
        keys = np.full(len(X), "", dtype=object)
    else:
        groups = reference_groups(reference_segment, risk, quantile, size)
        groups.pop(_MISSING, None)
        keys = _segment_keys(segment, len(X))
        keys = np.where(np.isin(keys, list(groups)), keys, "").astype(object)
    groups[""] = everybody
    contrib = np.zeros((len(X), X.shape[1]))
    base = np.zeros(len(X))
    for key in pd.unique(keys):
        rows = np.flatnonzero(keys == key)
        c, b = interventional_contributions(booster, X.iloc[rows], reference_X.iloc[groups[key]])
        contrib[rows], base[rows] = blend_contributions(c, b, linear, linear_weight, X.iloc[rows],
                                                        reference_X.iloc[groups[key]])
    return contrib, base, keys


def blend_contributions(contrib: np.ndarray, base, linear: LinearPart | None, weight: float, X: pd.DataFrame,
                        reference: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray | float]:
    """The booster's contributions blended with the linear part's, for a model with ``train.linear_blend``.

    Args:
        contrib, base: the booster's contributions (booster feature order) and base value(s).
        linear, weight: the linear part and its weight (None or 0: returned unchanged).
        X: the explained rows (model matrix, booster feature order).
        reference: the rows the booster was explained against (None: its training population).

    Returns:
        ``(contributions, base)`` of the blended log-odds, still adding up to it.
    """
    if linear is None or not weight:
        return contrib, base
    if list(linear.features) != list(X.columns):
        raise ValueError("the linear part's features differ from the booster's")
    lin, lin_base = linear.contributions(X, reference)
    return (1.0 - weight) * np.asarray(contrib) + weight * lin, (1.0 - weight) * np.asarray(base) + weight * lin_base


_WINDOW = re.compile(r"_(\d+)d(?:_vs_prev_(\d+)d)?$")


def history_days(feature: str) -> int | None:
    """Days of history a windowed usage or engagement feature needs to be complete (None: not such a feature).

    ``events_login_count_90d`` needs 90 days, ``events_login_change_30d_vs_prev_30d`` 60,
    ``weeks_active_share_84d`` 84. Other families' features are never censored: a new
    customer's low ticket or payment-failure count is not a risk.
    """
    if family_of(feature) not in ("usage", "engagement"):
        return None
    m = _WINDOW.search(feature)
    return None if m is None else int(m.group(1)) + int(m.group(2) or 0)


def _effective(contributions: np.ndarray, feature_names: list[str], tenure_days: np.ndarray | None) -> np.ndarray:
    """Risk-raising contributions, with those of windows longer than the customer's tenure moved to ``tenure_days``.

    A customer who joined 20 days ago has few events in 90 days because they are new, not
    because their use fell: that part of the risk is early life (tenure), so it is counted
    on ``tenure_days`` for the driver family. Without ``tenure_days`` (the argument or the
    feature) nothing moves.
    """
    contrib = np.asarray(contributions, dtype=float)
    positive = np.clip(np.nan_to_num(contrib, nan=0.0), 0.0, None)
    if tenure_days is None or "tenure_days" not in feature_names or positive.size == 0:
        return positive
    tenure = np.asarray(tenure_days, dtype=float)
    if tenure.shape != (len(contrib),):
        raise ValueError(f"tenure_days has shape {tenure.shape}; expected ({len(contrib)},)")
    window = np.array([history_days(f) or 0 for f in feature_names], dtype=float)
    censored = (window[None, :] > 0) & (tenure[:, None] < window[None, :])  # NaN tenure: never
    out = np.where(censored, 0.0, positive)
    out[:, feature_names.index("tenure_days")] += np.where(censored, positive, 0.0).sum(axis=1)
    return out


def family_scores(contributions: np.ndarray, feature_names: list[str],
                  tenure_days: np.ndarray | None = None) -> np.ndarray:
    """Per customer and family (``FAMILIES`` order): the sum of the family's risk-raising contributions.

    With ``tenure_days`` (per customer), the risk-raising contributions of usage and engagement
    features whose window is longer than the customer's tenure count for tenure (see :func:`history_days`).
    """
    return _family_sums(_effective(contributions, list(feature_names), tenure_days), feature_names)


def _family_sums(values: np.ndarray, feature_names: list[str]) -> np.ndarray:
    """Per row and family (``FAMILIES`` order): the sum of ``values`` over the family's features."""
    families = np.array([family_of(f) for f in feature_names])
    return np.stack([values[:, families == fam].sum(axis=1) for fam in FAMILIES], axis=1)


def driver_first(contributions: np.ndarray, feature_names: list[str],
                 tenure_days: np.ndarray | None = None) -> np.ndarray:
    """Reason ranking that leads with the customer's driver family.

    The driver family is the one whose risk-raising contributions add up to the
    most (a family's signal is often spread over several correlated features,
    e.g. 7-, 30- and 90-day counts, so its single strongest feature can lose to
    a lone feature of another family while the family as a whole weighs more).
    The returned array equals the contributions except that the driver family's
    strongest feature is lifted above every other, so :func:`models.reasons.top_reasons`
    puts it first and the remaining reasons follow by contribution.

    With ``tenure_days``, a usage or engagement window longer than the customer's tenure
    counts for ``tenure_days`` (:func:`family_scores`): a customer who joined 20 days ago
    and is at risk mainly for few events in 90 days leads with "joined 20 days ago".

    Args:
        contributions: ``(n, n_features)`` contributions.
        feature_names: the column of each contribution.
        tenure_days: optional tenure of each customer at the cutoff.

    Returns:
        The ranking array to pass to ``top_reasons`` in place of the contributions.
    """
    contrib = np.asarray(contributions, dtype=float)
    ranking = contrib.copy()
    if contrib.size == 0:
        return ranking
    effective = _effective(contrib, list(feature_names), tenure_days)
    families = np.array([family_of(f) for f in feature_names])
    driver = np.array(FAMILIES)[_family_sums(effective, feature_names).argmax(axis=1)]
    in_driver = families[None, :] == driver[:, None]
    # Only a feature that itself raises the risk may lead: one that lowers it is never a reason for it.
    masked = np.where(in_driver & (contrib > 0), effective, -np.inf)
    lead = masked.argmax(axis=1)
    has = np.isfinite(masked.max(axis=1))
    rows = np.flatnonzero(has)
    ranking[rows, lead[rows]] = np.nanmax(np.where(np.isnan(contrib[rows]), -np.inf, contrib[rows]), axis=1) + 1.0
    return ranking
