"""The MLflow model registry: register every evaluated version, apply the gate, and pick the model that scores.

Every evaluated run registers a version of the model (``churn-risk`` by
default); the gate (:mod:`models.evaluation.gate`) decides whether it becomes
the ``champion`` or stays a ``challenger``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path

import lightgbm as lgb
import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from models.evaluation.gate import CHAMPION, Champion, decide
from pipeline.io import read_json

log = logging.getLogger(__name__)


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


def scoring_model(model_dir: Path) -> tuple[lgb.Booster, dict, dict]:
    """The model that scores: the registry's champion, else the newest version (this run's).

    When this run's version did not pass the gate, the champion's booster and
    metadata are downloaded from the MLflow registry, so the retention team is
    never handed a list from a model that failed the gate while a champion exists.

    Returns:
        The booster, its model metadata, and a note (version, alias, why).
    """
    reg = read_json(model_dir / "registry.json")
    name, version = reg["model_name"], str(reg["version"])
    local = (lgb.Booster(model_file=str(model_dir / "model.txt")), read_json(model_dir / "model_meta.json"))
    if reg.get("alias") == CHAMPION:
        return (*local, {"model_name": name, "version": version, "alias": CHAMPION,
                         "note": "this run's model is the champion"})
    client = MlflowClient()
    try:
        champion = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        log.warning("no champion for model %s yet: scoring with the newest version v%s", name, version)
        return (*local, {"model_name": name, "version": version, "alias": reg.get("alias", ""),
                         "note": "no champion yet; newest version used"})
    with tempfile.TemporaryDirectory(prefix="champion-") as tmp:
        path = Path(mlflow.artifacts.download_artifacts(f"models:/{name}@{CHAMPION}", dst_path=tmp))
        booster = lgb.Booster(model_file=str(next(path.rglob("model.txt"))))
        meta = read_json(next(path.rglob("model_meta.json")))
    log.warning("this run's version v%s is a challenger (%s); scoring with champion v%s",
                version, reg.get("reason", ""), champion.version)
    return booster, meta, {"model_name": name, "version": str(champion.version), "alias": CHAMPION,
                           "note": f"this run's v{version} did not pass the gate"}

