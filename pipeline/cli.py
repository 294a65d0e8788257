"""Command line: one command per DVC stage, plus a summary of where the outputs are.

``dvc.yaml`` calls ``python -m pipeline.cli <stage>``. Errors in the data or
params end the command with exit code 1 and one clear message, not a traceback.
A stage's module (and with it mlflow, lightgbm or scikit-learn) is imported only
when that stage runs, so ``--help`` answers at once.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.logging import RichHandler

from pipeline.core.errors import ChurnError  # imports nothing: --help stays instant

app = typer.Typer(add_completion=False, help="Customer churn pipeline stages (run them all with `dvc repro`).")
console = Console(stderr=True)

# stage -> one-line help (the first line of the stage module's docstring, kept equal by a test)
STAGES: dict[str, str] = {
    "generate": "Stage generate: a built-in synthetic customer world, or IBM's Telco sample adapted to the contract.",
    "validate": "Stage validate: check the raw contract tables and write typed, clean copies.",
    "featurize": "Stage featurize: point-in-time features at every cutoff and at the scoring date.",
    "label": "Stage label: churn labels at every cutoff whose whole horizon is in the data.",
    "train": "Stage train: LightGBM on earlier cutoffs, early-stopped on a later one, calibrated, tracked in MLflow.",
    "evaluate": "Stage evaluate: out-of-time quality on the latest fully labelled cutoff, baselines, plots and the "
                "registry gate.",
    "explain": "Stage explain: SHAP reasons for every customer scored at the scoring date.",
    "uplift": "Stage uplift: who a contact saves, learnt from the measured campaigns' random holdouts.",
    "score": "Stage score: the ranked list of customers at risk at the scoring date.",
    "measure": "Stage measure: did calling them work? Each campaign's contacted group against its holdout.",
    "report": "Stage report: one self-contained HTML page for the retention team.",
}


def _run(stage: str, module_name: str | None = None, **kwargs: object) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", datefmt="[%X]",
                        handlers=[RichHandler(console=console, show_path=False)], force=True)
    for noisy in ("mlflow", "alembic", "urllib3", "git"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    module = importlib.import_module(module_name or f"pipeline.stages.{stage}")
    try:
        module.main(**kwargs)
    except ChurnError as exc:
        console.print(f"[bold red]{stage} failed:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(code=1) from None


def _stage_command(stage: str) -> None:
    def command(params: Path = typer.Option(Path("params.yaml"), help="params file")) -> None:
        _run(stage, params_path=params)

    command.__doc__ = STAGES[stage]
    app.command(name=stage)(command)


for _stage in STAGES:
    _stage_command(_stage)


@app.command(name="spark-score")
def spark_score(params: Path = typer.Option(Path("params.yaml"), help="params file")) -> None:
    """Score and explain every customer on Spark with the registry's champion, and rank them as the score stage does
    (value at risk, tiers, actions, campaign groups: pipeline/spark/score.py, pipeline/spark/rank.py)."""
    _run("spark-score", "pipeline.spark.score", params_path=params)


def _dry_validate(directory: Path, work: Path, params: object) -> dict:
    """The validate stage on ``directory``, lenient, its outputs in ``work``: the report lists every rule strict
    mode would refuse. The stage is imported by name, as ``_run`` does (no module under pipeline/ imports one)."""
    stage = importlib.import_module("pipeline.stages.validate")
    data, vp = params.data, params.validate
    options = stage.Options(encoding="auto", timezone=data.timezone, exclude_columns=data.exclude_columns,
                            signed_event_types=vp.signed_event_types)
    return stage.validate(directory, work / "validated", work / "rejected", work / "report.json", "lenient", None,
                          options)


@app.command()
def init(directory: Path = typer.Argument(..., help="the export folder (customers, events, tickets as .csv/.parquet)"),
         dry_run: bool = typer.Option(False, "--dry-run", help="print the choices without writing params.yaml"),
         params: Path = typer.Option(Path("params.yaml"), help="params file")) -> None:
    """Read an export folder and write the own-data params it calls for (data.source, raw_dir, label mode and
    horizon, first cutoff, passive types, personal columns, segments), each printed with its reason."""
    from pipeline import init as setup

    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[RichHandler(console=console,
                        show_path=False)], force=True)
    try:
        found = setup.derive(directory, params, _dry_validate)
    except ChurnError as exc:
        console.print(f"[bold red]init failed:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(code=1) from None
    print(f"churn init {directory}: as-of date {found.as_of}")
    for choice in found.choices:
        print(setup.show(choice))
    if found.refusals:
        print(f"strict validation would refuse {len(found.refusals)} rule(s) (fix the data, or set "
              "validate.mode: lenient to quarantine the rows):")
        for line in found.refusals:
            print(f"  {line}")
    else:
        print("strict validation: every row passes")
    if dry_run:
        print(f"dry run: {params} not changed")
        return
    setup.write(params, found.choices)
    print(f"wrote {len(found.choices)} keys to {params}; next: dvc repro")


def _store() -> tuple[str, str | None]:
    """The tracking URI and the experiment id (None before the first run)."""
    from mlflow.tracking import MlflowClient

    from pipeline.core import tracking
    from pipeline.core.config import Params
    from pipeline.core.repo import repo_root

    root = repo_root()
    mp = Params.load(root / "params.yaml").mlflow
    uri = tracking.tracking_uri(mp, root)
    if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///"):]).exists():
        return uri, None
    exp = MlflowClient(tracking_uri=uri).get_experiment_by_name(mp.experiment)
    return uri, None if exp is None else exp.experiment_id


def _ui_url(host: str, port: int, experiment_id: str | None) -> str:
    # workflowType opens the experiment as model training (runs, metrics, datasets), not MLflow 3's GenAI view.
    page = f"#/experiments/{experiment_id}" if experiment_id else "#/experiments"
    return f"http://{host}:{port}/{page}?workflowType=machine_learning"


@app.command()
def summary() -> None:
    """Print where the scored list, the metrics and the MLflow store are."""
    from pipeline.core.io import read_json
    from pipeline.core.repo import repo_root

    root = repo_root()
    uri, experiment_id = _store()
    metrics_path = root / "data/metrics/metrics.json"
    out = Console(soft_wrap=True)
    out.print("[bold]Churn pipeline finished[/]")
    out.print(f"  scored list : {root / 'data/scored/at_risk_customers.csv'}")
    out.print(f"  report      : {root / 'data/reports/retention_report.html'}  (open it in a browser)")
    if metrics_path.exists():
        m = read_json(metrics_path)
        out.print(f"  metrics     : {metrics_path}  (test ROC-AUC {m['roc_auc']:.3f}, "
                  f"top-decile lift {m['top_decile_lift']:.2f}, cutoff {m.get('test_cutoff', '?')})")
    campaign_path = root / "data/metrics/campaign_metrics.json"
    last = read_json(campaign_path).get("last_campaign") if campaign_path.exists() else None
    if last:
        out.print(f"  campaign    : {root / 'data/campaigns/results.csv'}  (last measured {last['campaign_id']}: "
                  f"{last['difference']:+.3f} churn vs holdout, 95% {last['difference_lower']:+.3f} to "
                  f"{last['difference_upper']:+.3f}, {last['conclusion'].replace('_', ' ')})")
    out.print(f"  MLflow store: {uri}")
    out.print(f"  MLflow UI   : make ui, then open {_ui_url('127.0.0.1', 5000, experiment_id)}")


@app.command()
def ui(host: str = typer.Option("127.0.0.1", help="address to listen on"),
       port: int = typer.Option(5000, help="port")) -> None:
    """Start the MLflow UI on the repository's store and print the page that opens the runs."""
    uri, experiment_id = _store()
    console.print(f"MLflow UI on {uri}: open {_ui_url(host, port, experiment_id)}", highlight=False)
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    os.execv(str(mlflow_bin), [str(mlflow_bin), "ui", "--backend-store-uri", uri, "--host", host, "--port", str(port)])


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
