"""The quality gate: does a new model version become the champion?

The alias ``champion`` moves to the new version only if its test ROC-AUC beats
every baseline by the gate margin and is not below the current champion's,
when that champion was evaluated on the same data (tag ``data_hash``).
Otherwise the version gets the alias ``challenger``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

CHAMPION, CHALLENGER = "champion", "challenger"


@dataclasses.dataclass(frozen=True)
class Champion:
    """The current champion as the gate sees it."""

    version: str
    roc_auc: float | None
    data_hash: str | None


@dataclasses.dataclass(frozen=True)
class Decision:
    """The gate's verdict: the alias to set, a short decision word and the reason in words."""

    alias: str
    decision: str   # promote | keep_challenger
    reason: str


def decide(roc_auc: float, baselines: Mapping[str, float], margin: float, champion: Champion | None,
           data_hash: str | None) -> Decision:
    """Decide whether a new version becomes champion.

    Args:
        roc_auc: the new version's test ROC-AUC.
        baselines: baseline name to test ROC-AUC (NaN baselines are ignored).
        margin: how much the model must beat every baseline by.
        champion: the current champion, or None for the first version.
        data_hash: the hash of the data the new version was evaluated on.

    Returns:
        The decision; ``promote`` sets ``champion``, anything else ``challenger``.
    """
    if roc_auc is None or math.isnan(roc_auc):
        return Decision(CHALLENGER, "keep_challenger", "test ROC-AUC is undefined (one class in the test rows)")
    for name, auc in sorted(baselines.items()):
        if auc is not None and not math.isnan(auc) and not roc_auc > auc + margin:
            return Decision(CHALLENGER, "keep_challenger",
                            f"ROC-AUC {roc_auc:.4f} does not beat baseline {name} {auc:.4f} by margin {margin:g}")
    beat = ", ".join(f"{n} {a:.4f}" for n, a in sorted(baselines.items()) if a is not None and not math.isnan(a))
    beat = f"beats baselines ({beat}) by more than {margin:g}" if beat else "no baseline could be scored"
    if champion is None:
        return Decision(CHAMPION, "promote", f"first champion: ROC-AUC {roc_auc:.4f} {beat}")
    if champion.data_hash and data_hash and champion.data_hash == data_hash and champion.roc_auc is not None:
        if roc_auc < champion.roc_auc:
            return Decision(CHALLENGER, "keep_challenger",
                            f"ROC-AUC {roc_auc:.4f} is below champion v{champion.version} ({champion.roc_auc:.4f}) "
                            "on the same data")
        return Decision(CHAMPION, "promote", f"ROC-AUC {roc_auc:.4f} {beat} and is not below champion "
                                             f"v{champion.version} ({champion.roc_auc:.4f}) on the same data")
    return Decision(CHAMPION, "promote", f"ROC-AUC {roc_auc:.4f} {beat}; champion v{champion.version} was "
                                         "evaluated on other data, so it is not compared")
