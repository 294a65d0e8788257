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
from pipeline.core.io import read_json

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


def download_model(name: str, version: str, dst: str) -> tuple[lgb.Booster, dict]:
    """A registered version's booster and model metadata, downloaded to ``dst``."""
    path = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/{version}", dst_path=dst))
    return lgb.Booster(model_file=str(next(path.rglob("model.txt")))), read_json(next(path.rglob("model_meta.json")))


def incompatibility(champion_meta: dict, meta: dict) -> str | None:
    """Why the champion cannot score this run's customers (None: it can).

    A champion may score only data with the same feature schema (the same
    features, the same ones categorical) and the same lineage (data source,
    folder, label mode and horizon): a model trained on other data would score
    columns that do not exist, or a different question.
    """
    a, b = champion_meta.get("lineage"), meta.get("lineage")
    if a != b:
        return f"it was trained on other data ({_lineage_text(a)}; this run: {_lineage_text(b)})"
    missing = sorted(set(champion_meta["features"]) - set(meta["features"]))
    extra = sorted(set(meta["features"]) - set(champion_meta["features"]))
    if missing or extra or set(champion_meta["categorical"]) != set(meta["categorical"]):
        parts = ([f"{len(missing)} of its features are not in this data, e.g. {', '.join(missing[:3])}"] if missing
                 else []) + ([f"this data has {len(extra)} features it does not know, e.g. {', '.join(extra[:3])}"]
                             if extra else [])
        return "it has another feature schema (" + ("; ".join(parts) or "other categorical features") + ")"
    return None


def _lineage_text(lineage: dict | None) -> str:
    if not lineage:
        return "unknown data"
    return (f"{lineage.get('source')} data from {lineage.get('raw_dir')}, label {lineage.get('label_mode')} "
            f"over {lineage.get('horizon_days')} days")


def scoring_choice(gate: dict, meta: dict, client: MlflowClient | None = None) -> dict:
    """Which registered version scores the customers, and why: written to ``registry.json`` under ``scoring``.

    The champion scores, unless this run's version is the champion, or there is
    none, or the champion cannot score this data (:func:`incompatibility`): then
    this run's own version scores, and the choice says so (``warning``).
    """
    name, version = gate["model_name"], str(gate["version"])
    own = {"model_name": name, "version": version, "own_model": True}
    if gate["alias"] == CHAMPION:
        return {**own, "alias": CHAMPION, "warning": False, "note": "this run's model is the champion"}
    client = client or MlflowClient()
    try:
        champion = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return {**own, "alias": gate["alias"], "warning": True,
                "note": f"no champion yet: this run's v{version} scores although it did not pass the gate "
                        f"({gate['reason']})"}
    with tempfile.TemporaryDirectory(prefix="champion-") as tmp:
        _, champion_meta = download_model(name, str(champion.version), tmp)
    why = incompatibility(champion_meta, meta)
    if why is not None:
        note = (f"champion v{champion.version} cannot score these customers: {why}. This run's v{version} scores "
                f"although it did not pass the gate ({gate['reason']})")
        log.warning("%s", note)
        return {**own, "alias": gate["alias"], "warning": True, "champion_version": str(champion.version),
                "note": note}
    return {"model_name": name, "version": str(champion.version), "own_model": False, "alias": CHAMPION,
            "warning": False, "note": f"this run's v{version} did not pass the gate ({gate['reason']}); "
                                      f"champion v{champion.version} scores"}


def scoring_model(model_dir: Path) -> tuple[lgb.Booster, dict, dict]:
    """The model that scores, as ``registry.json``'s ``scoring`` entry chose it (:func:`scoring_choice`).

    Returns:
        The booster, its model metadata, and the choice (version, alias, note, warning).
    """
    choice = read_json(model_dir / "registry.json")["scoring"]
    if choice["own_model"]:
        booster, meta = lgb.Booster(model_file=str(model_dir / "model.txt")), read_json(model_dir / "model_meta.json")
    else:
        with tempfile.TemporaryDirectory(prefix="champion-") as tmp:
            booster, meta = download_model(choice["model_name"], choice["version"], tmp)
    (log.warning if choice["warning"] else log.info)("scoring with %s v%s: %s", choice["model_name"],
                                                      choice["version"], choice["note"])
    return booster, meta, choice
