"""MLflow: where the store is, run tags, and the logged model.

The store is a SQLite file at the repository root (``mlflow.db``) with
artifacts beside it (``mlartifacts/``). Runs started by ``dvc exp run``, which
may execute in a copy under ``.dvc/tmp/exps/``, resolve to the same store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import subprocess
import urllib.parse
import warnings
from pathlib import Path
from typing import Any

import filelock
import mlflow
import mlflow.data
import numpy as np
import pandas as pd

from pipeline.core.config import MlflowParams, ParamsError
from pipeline.core.repo import repo_root

log = logging.getLogger(__name__)


def tracking_uri(params: MlflowParams, root: Path | None = None) -> str:
    """The tracking URI: ``MLFLOW_TRACKING_URI`` if set, else params, else the repo's SQLite file."""
    root = root or repo_root()
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    if params.tracking_uri:
        uri = params.tracking_uri
        if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
            return f"sqlite:///{(root / uri[len('sqlite:///'):]).resolve()}"
        return uri
    return f"sqlite:///{root / 'mlflow.db'}"


def _store_lock(uri: str) -> contextlib.AbstractContextManager:
    """A lock beside a local SQLite store (``<file>.lock``); no lock for other stores.

    MLflow creates and migrates a new SQLite store's schema on first use, and two
    processes doing that at once (``dvc queue start -j 2`` on a fresh clone) break
    each other's migrations. Holding this lock while the store is first opened
    and the experiment is created serialises exactly that step.
    """
    if not uri.startswith("sqlite:///"):
        return contextlib.nullcontext()
    path = Path(uri[len("sqlite:///"):])
    path.parent.mkdir(parents=True, exist_ok=True)
    return filelock.FileLock(str(path) + ".lock", timeout=600)


# The MLflow UI opens an experiment with this kind as model training (runs, metrics, datasets), not as GenAI traces.
EXPERIMENT_KIND = ("mlflow.experimentKind", "custom_model_development")


def setup(params: MlflowParams) -> str:
    """Point MLflow at the store and make sure the experiment exists; return its id.

    Raises:
        ParamsError: the repository's own store keeps its artefacts outside the repository
            (the store was copied or moved from another checkout).
    """
    root = repo_root()
    uri = tracking_uri(params, root)
    mlflow.set_tracking_uri(uri)
    with _store_lock(uri):
        client = mlflow.MlflowClient()
        client.search_registered_models(max_results=1)   # creates or migrates the schema, under the lock
        exp = client.get_experiment_by_name(params.experiment)
        if exp is None:
            artifacts = (root / "mlartifacts").resolve()
            client.create_experiment(params.experiment, artifact_location=artifacts.as_uri(),
                                     tags=dict([EXPERIMENT_KIND]))
            exp = client.get_experiment_by_name(params.experiment)
        elif exp.tags.get(EXPERIMENT_KIND[0]) != EXPERIMENT_KIND[1]:
            client.set_experiment_tag(exp.experiment_id, *EXPERIMENT_KIND)
    check_artifact_location(uri, exp.artifact_location, root, params.experiment)
    mlflow.set_experiment(experiment_id=exp.experiment_id)
    return exp.experiment_id


def _local_path(uri: str) -> Path | None:
    if uri.startswith("sqlite:///"):
        return Path(uri[len("sqlite:///"):]).resolve()
    if uri.startswith("file://"):
        return Path(urllib.parse.unquote(urllib.parse.urlparse(uri).path)).resolve()
    if "://" not in uri:
        return Path(uri).resolve()
    return None


def check_artifact_location(store_uri: str, artifact_location: str, root: Path, experiment: str) -> None:
    """A store inside this repository must keep its artefacts inside it too.

    MLflow records the artefact folder as an absolute path when the experiment is
    created. A repository that was copied (or moved) with its ``mlflow.db`` would
    otherwise write run artefacts and models into the original checkout's
    ``mlartifacts/``, or into a folder that no longer exists.
    """
    store, artifacts, root = _local_path(store_uri), _local_path(artifact_location), root.resolve()
    if store is None or artifacts is None or not store.is_relative_to(root) or artifacts.is_relative_to(root):
        return
    raise ParamsError(
        f"{store}: this MLflow store's experiment '{experiment}' keeps its artefacts in {artifacts}, outside this "
        f"repository ({root}): the store was copied or moved from another checkout, and runs from here would write "
        f"into that folder. Start a fresh store for this repository (move {store.name} and "
        f"{root / 'mlartifacts'} away), or point mlflow.tracking_uri (or MLFLOW_TRACKING_URI) at the original store "
        "on purpose.")


def run_name(source: str, raw_dir: str, test_cutoff: object, settings: dict[str, Any]) -> str:
    """What sets a run apart: the DVC experiment (or ``workspace`` and a digest of the settings), data and test cutoff.

    ``faster-lr · synthetic · test 2024-11-30``, or ``workspace 1a2b3c · dir:mycompany · test 2024-11-30``.
    """
    experiment = os.environ.get("DVC_EXP_NAME")
    if not experiment:
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:6]
        experiment = f"workspace {digest}"
    data = f"dir:{Path(raw_dir).name}" if source == "dir" else source
    return f"{experiment} · {data} · test {test_cutoff}"


def param_value(value: Any) -> str:
    """A setting as a reviewer reads it in the MLflow UI: lists comma-separated, nothing as ``none``."""
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def log_dataset(frame: pd.DataFrame, context: str, name: str, validated_dir: Path, digest: str) -> None:
    """Log rows the model was trained or judged on as an MLflow dataset input of the active run.

    The source is the validated folder and the digest the data hash (its first 36
    hex digits, MLflow's limit), so the runs table shows which data a run saw.
    """
    # MLflow warns that a local folder resolves to two source types, and that integer columns (counts) cannot
    # hold missing values: neither applies to a record of which rows a run saw.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dataset = mlflow.data.from_pandas(frame, source=str(Path(validated_dir).resolve()), name=name,
                                          digest=digest[:36], targets="label" if "label" in frame.columns else None)
        mlflow.log_input(dataset, context=context)


def log_test_dataset(run: Any, frame: pd.DataFrame, test_cutoff: str) -> None:
    """Log the test rows as a dataset input of ``run`` (the active run), from the same data as its training rows."""
    training = [d.dataset for d in run.inputs.dataset_inputs
                if any(t.key == "mlflow.data.context" and t.value == "training" for t in d.tags)]
    if not training:
        log.warning("run %s has no training dataset input; the test rows are not logged as a dataset",
                    run.info.run_id)
        return
    source = json.loads(training[0].source)
    data_name = training[0].name.rsplit(" training", 1)[0]
    log_dataset(frame, "testing", f"{data_name} test {test_cutoff}", Path(source.get("uri", "")), training[0].digest)


def describe_run(run_id: str, text: str) -> None:
    """The run's description in the MLflow UI (the ``mlflow.note.content`` tag)."""
    mlflow.MlflowClient().set_tag(run_id, "mlflow.note.content", text)


def git_commit(root: Path | None = None) -> str:
    """The commit the run's code comes from (the experiment's baseline inside a DVC copy)."""
    if os.environ.get("DVC_EXP_BASELINE_REV"):
        return os.environ["DVC_EXP_BASELINE_REV"]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root or Path.cwd(), capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def data_hash(folder: Path) -> str:
    """A content hash of the validated tables (sha256 over file names and bytes, sorted)."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def dvc_lock_hash(path: str, lock: Path = Path("dvc.lock")) -> str | None:
    """The md5 DVC recorded for an output path in dvc.lock, if any."""
    import yaml

    if not lock.exists():
        return None
    data = yaml.safe_load(lock.read_text()) or {}
    for stage in (data.get("stages") or {}).values():
        for out in stage.get("outs") or []:
            if out.get("path") == path:
                return out.get("md5")
    return None


def run_tags(validated_dir: Path) -> dict[str, str]:
    """Tags that link an MLflow run to git, DVC and the data."""
    tags = {
        "git_commit": git_commit(),
        "data_hash": data_hash(validated_dir),
        "dvc_experiment": os.environ.get("DVC_EXP_NAME", ""),
    }
    dvc_md5 = dvc_lock_hash(validated_dir.as_posix())
    if dvc_md5:
        tags["dvc_data_md5"] = dvc_md5
    return tags


class ChurnRiskModel(mlflow.pyfunc.PythonModel):
    """The served model: raw feature columns in, calibrated churn probability out."""

    def load_context(self, context: Any) -> None:
        import lightgbm as lgb

        from models.predict import ChurnModel

        with open(context.artifacts["meta"], encoding="utf-8") as fh:
            meta = json.load(fh)
        self.model = ChurnModel(lgb.Booster(model_file=context.artifacts["booster"]), meta)

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> np.ndarray:
        return self.model.predict_proba(model_input)


def log_model(booster_path: Path, meta_path: Path, example: pd.DataFrame, registered_name: str | None = None) -> Any:
    """Log the booster and its calibrator as a pyfunc model with signature and input example.

    Returns:
        MLflow's ``ModelInfo`` (its ``model_uri`` is what the registry registers).
    """
    import lightgbm as lgb
    from mlflow.models import infer_signature

    from models.predict import ChurnModel

    example = example.copy()
    for col in example.columns:
        if pd.api.types.is_numeric_dtype(example[col]):
            # Floats, not ints: a feature that is whole today may be missing tomorrow.
            example[col] = example[col].astype("float64")
        else:
            example[col] = example[col].astype("string").fillna("").astype(object)
    model = ChurnModel(lgb.Booster(model_file=str(booster_path)), json.loads(Path(meta_path).read_text()))
    signature = infer_signature(example, model.predict_proba(example))
    logging.getLogger("mlflow.pyfunc").setLevel(logging.ERROR)  # the cloudpickle notice is expected here
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=ChurnRiskModel(),
        artifacts={"booster": str(booster_path), "meta": str(meta_path)},
        signature=signature,
        input_example=example,
        registered_model_name=registered_name,
    )
