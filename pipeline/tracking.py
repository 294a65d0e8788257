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
from pathlib import Path
from typing import Any

import filelock
import mlflow
import numpy as np
import pandas as pd

from pipeline.config import MlflowParams
from pipeline.repo import repo_root

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


def setup(params: MlflowParams) -> str:
    """Point MLflow at the store and make sure the experiment exists; return its id."""
    root = repo_root()
    uri = tracking_uri(params, root)
    mlflow.set_tracking_uri(uri)
    with _store_lock(uri):
        client = mlflow.MlflowClient()
        client.search_registered_models(max_results=1)   # creates or migrates the schema, under the lock
        exp = client.get_experiment_by_name(params.experiment)
        if exp is None:
            artifacts = (root / "mlartifacts").resolve()
            client.create_experiment(params.experiment, artifact_location=artifacts.as_uri())
            exp = client.get_experiment_by_name(params.experiment)
    mlflow.set_experiment(experiment_id=exp.experiment_id)
    return exp.experiment_id


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
