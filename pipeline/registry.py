"""MLflow model registry and the quality gate.

Every evaluated run registers a version of the model (``churn-risk`` by
default). The alias ``champion`` moves to the new version only if its test
ROC-AUC beats every baseline by the gate margin and is not below the current
champion's, when that champion was evaluated on the same data (tag
``data_hash``). Otherwise the version gets the alias ``challenger``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping

import mlflow
from mlflow.tracking import MlflowClient

log = logging.getLogger(__name__)

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


def current_champion(client: MlflowClient, name: str) -> Champion | None:
    """The version holding the ``champion`` alias, with its test ROC-AUC and data hash tags."""
    try:
        mv = client.get_model_version_by_alias(name, CHAMPION)
    except mlflow.exceptions.MlflowException:
        return None
    auc = mv.tags.get("test_roc_auc")
    return Champion(str(mv.version), float(auc) if auc not in (None, "") else None, mv.tags.get("data_hash"))


def register_and_gate(model_uri: str, run_id: str, name: str, roc_auc: float, baselines: Mapping[str, float],
                      margin: float, data_hash: str | None, client: MlflowClient | None = None) -> dict:
    """Register a new version, run the gate, set its alias and tag the decision on the version and the run.

    Args:
        model_uri: the logged model (``models:/m-...`` or ``runs:/<id>/model``).
        run_id: the run that produced and evaluated it.
        name: registered model name.
        roc_auc: the version's test ROC-AUC.
        baselines: baseline name to test ROC-AUC.
        margin: the gate margin.
        data_hash: the evaluation data's hash (the run's ``data_hash`` tag).
        client: an MlflowClient on the current tracking URI by default.

    Returns:
        ``{"model_name", "version", "alias", "decision", "reason"}``.
    """
    client = client or MlflowClient()
    champion = current_champion(client, name)
    mv = mlflow.register_model(model_uri, name, tags={"data_hash": data_hash or "", "test_roc_auc": repr(roc_auc)})
    version = str(mv.version)
    decision = decide(roc_auc, baselines, margin, champion, data_hash)
    client.set_registered_model_alias(name, decision.alias, version)
    for key, value in (("gate_decision", decision.decision), ("gate_reason", decision.reason),
                       ("alias", decision.alias)):
        client.set_model_version_tag(name, version, key, value)
    client.set_tag(run_id, "gate_decision", decision.decision)
    client.set_tag(run_id, "gate_reason", decision.reason)
    client.set_tag(run_id, "registered_version", version)
    log.info("registry: %s v%s -> %s (%s)", name, version, decision.alias, decision.reason)
    return {"model_name": name, "version": version, "alias": decision.alias, "decision": decision.decision,
            "reason": decision.reason}
