"""Which ranking to trust: the uplift model (T or DR) or churn risk, chosen by Qini on rows it did not learn from.

With one measured campaign the comparison is out of fold (the learners' cross-fitted predictions); with several it
is out of time: the learners are fitted on the earlier campaigns and judged on the latest, the way they will be
used (fitted on the past, applied to the next campaign). The better learner by Qini is kept; it is used only if it
beats risk ranking beyond the interval (the paired bootstrap interval of the Qini difference is above zero),
otherwise the list stays ranked by churn risk x value and ``targeting_basis`` says why. The final model is then
fitted on every measured campaign.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from models.uplift.learners import LEARNERS, UpliftConfig, UpliftModel, fit_learners
from models.uplift.metrics import Evaluation, evaluate

NAMES: dict[str, str] = {"t": "T-learner", "dr": "DR-learner"}
COLD_START = "churn risk × value: no campaign measured yet"
NO_BETTER = "churn risk × value: the uplift model was no better than risk ranking"


@dataclasses.dataclass
class Selection:
    """The choice and its evidence: ``learner`` the better of T and DR (None before any campaign), ``use_uplift``
    whether it beat risk ranking; ``qini`` per ranking (estimate, lower, upper), the chosen learner's Qini minus
    risk's, the campaign judged on and the ``targeting_basis`` sentence the scored list carries."""

    learner: str | None
    use_uplift: bool
    targeting_basis: str
    campaign_id: str | None = None
    validation: str | None = None          # "out_of_fold" | "out_of_time"
    qini: dict[str, tuple[float, float, float]] = dataclasses.field(default_factory=dict)
    difference: tuple[float, float, float] | None = None
    evaluation: Evaluation | None = None
    judged: np.ndarray | None = None        # the rows judged on (a mask of the training rows)
    scores: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)  # each ranking's score on them

    def summary(self) -> dict:
        """A JSON-able summary, for ``data/metrics/uplift_metrics.json``."""
        out = {"learner": self.learner, "use_uplift": self.use_uplift, "targeting_basis": self.targeting_basis,
               "campaign_id": self.campaign_id, "validation": self.validation}
        if self.evaluation is not None:
            out["rankings"] = {name: {f: [round(v, 6) for v in vals] for f, vals in figs.items()}
                               for name, figs in self.evaluation.table.items()}
            out["qini_difference"] = [round(v, 6) for v in self.difference]
        return out


def cold_start() -> Selection:
    return Selection(learner=None, use_uplift=False, targeting_basis=COLD_START)


def basis(learner: str, use: bool, qini: float, risk: float, campaign_id: str) -> str:
    """The ``targeting_basis`` sentence."""
    figures = f"Qini {qini:.3f} against risk {risk:.3f} on campaign {campaign_id}"
    if use:
        return f"uplift model ({NAMES[learner]}), {figures}"
    return f"{NO_BETTER} ({NAMES[learner]} {figures})"


def _split(rows: pd.DataFrame) -> tuple[np.ndarray, str, str]:
    """Rows to judge on (a boolean mask), the campaign judged on and how (out of fold / out of time)."""
    dates = rows.groupby("campaign_id")["campaign_date"].first().sort_values(kind="stable")
    latest = str(dates.index[-1])
    if len(dates) == 1:
        return np.ones(len(rows), dtype=bool), latest, "out_of_fold"
    return (rows["campaign_id"] == latest).to_numpy(), latest, "out_of_time"


def _columns(rows: pd.DataFrame):
    return (rows["treated"].to_numpy(), rows["churned"].to_numpy(), rows["propensity"].to_numpy())


def held_out_predictions(rows: pd.DataFrame, X: pd.DataFrame, config: UpliftConfig
                         ) -> tuple[dict[str, np.ndarray], np.ndarray, str, str, dict]:
    """Each learner's predictions on the rows it is judged on, the mask of those rows, the campaign, the
    validation kind, and the learners fitted on every row when that fit already happened (out of fold)."""
    test, campaign, how = _split(rows)
    if how == "out_of_fold":
        fitted = fit_learners(X, *_columns(rows), config)
        return {k: f.oof for k, f in fitted.items()}, test, campaign, how, fitted
    train = ~test
    fitted = fit_learners(X[train], *_columns(rows[train]), config)
    return {k: f.model.predict(X[test]) for k, f in fitted.items()}, test, campaign, how, {}


def choose(rows: pd.DataFrame, X: pd.DataFrame, config: UpliftConfig = UpliftConfig(), depth: int | None = None,
           n_boot: int = 200) -> tuple[Selection, UpliftModel | None]:
    """Choose the ranking from the training rows (``models/uplift/rows.py``) and their feature matrix ``X``.

    Args:
        rows: ``campaign_id``, ``campaign_date``, ``treated``, ``churned``, ``propensity``, ``churn_probability``.
        X: the feature matrix, one row per row of ``rows``.
        config: the learners' settings and seed (the bootstrap and the random ranking use the same seed).
        depth: the contact depth for uplift at depth; None: half the rows judged on.
        n_boot: bootstrap replicates.

    Returns:
        The selection, and the chosen learner fitted on every row (None when risk ranking is kept).
    """
    if rows.empty:
        return cold_start(), None
    preds, test, campaign, how, fitted_all = held_out_predictions(rows, X, config)
    judged = rows[test]
    t, y = judged["treated"].to_numpy(), judged["churned"].to_numpy()
    risk = judged["churn_probability"].to_numpy(dtype=float)
    if np.isnan(risk).any():
        raise ValueError(f"churn_probability is missing for {int(np.isnan(risk).sum())} of {len(risk)} rows of "
                         f"campaign {campaign}: the risk ranking the model is compared with needs it")
    rankings = {**preds, "risk": risk, "random": np.random.default_rng(config.seed).random(len(judged))}
    k = depth if depth is not None else max(1, len(judged) // 2)
    ev = evaluate(rankings, t, y, depth=k, n_boot=n_boot, seed=config.seed)
    learner = max(LEARNERS, key=lambda name: ev.qini(name)[0])
    diff = ev.difference(learner, "risk")
    use = bool(diff[1] > 0)
    sel = Selection(learner=learner, use_uplift=use,
                    targeting_basis=basis(learner, use, ev.qini(learner)[0], ev.qini("risk")[0], campaign),
                    campaign_id=campaign, validation=how,
                    qini={name: ev.qini(name) for name in rankings}, difference=diff, evaluation=ev,
                    judged=test, scores=rankings)
    if not use:
        return sel, None
    if learner in fitted_all:
        return sel, fitted_all[learner].model
    return sel, fit_learners(X, *_columns(rows), config, learners=(learner,))[learner].model
