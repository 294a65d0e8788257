"""Stage generate: a built-in synthetic customer world, or IBM's Telco sample adapted to the contract.

With ``data.source: synthetic`` it writes the contract tables to
``data/raw/`` and the generator's ground truth to ``data/ground_truth/`` (a
folder the model stages never read): ``generate.kind: subscription`` is the
subscription business of ``features/synthetic/subscription/`` (churn dates), ``non_contract``
the retailer of ``features/synthetic/noncontract/`` (customers stop buying;
``label.mode: inactivity``). With ``data.source: telco`` it maps
``telco.path`` onto the contract (``features/telco.py``) and writes the tables
to ``data/raw/``. With ``dir`` it writes only a note in each folder, so the
stage stays cheap and its outputs exist.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from features import telco
from features.cutoffs import labelled, schedule
from features.synthetic import noncontract, subscription
from features.synthetic.noncontract import NonContractConfig, NonContractSimulation
from features.synthetic.subscription import CampaignConfig, Simulation, SyntheticConfig
from pipeline.core import config
from pipeline.core.io import atomic_dir, write_parquet, write_parquet_streams

log = logging.getLogger(__name__)


def main(params_path: Path = Path("params.yaml"), raw_dir: Path = Path("data/raw"),
         ground_truth_dir: Path = Path("data/ground_truth")) -> dict:
    """Run the generate stage from params."""
    params = config.Params.load(params_path)
    data, gen, cut, lab = params.data, params.generate, params.cutoffs, params.label
    if data.source == "telco":
        return _telco(params.telco, data, cut, lab, raw_dir, ground_truth_dir)
    if data.source != "synthetic":
        if Path(data.raw_dir).resolve() == raw_dir.resolve():
            raise config.ParamsError(
                f"data.source is '{data.source}' but data.raw_dir is {raw_dir}, the generator's own folder; "
                "put your tables in another folder (e.g. data/external/mine) and point data.raw_dir there")
        for folder in (raw_dir, ground_truth_dir):
            with atomic_dir(folder) as tmp:
                (tmp / "SOURCE.txt").write_text(
                    f"data.source is '{data.source}': the pipeline reads {data.raw_dir}; nothing generated here.\n")
        return {"source": data.source}
    if gen.kind == "non_contract" and gen.campaigns.enabled:
        raise config.ParamsError("generate.campaigns works in the subscription world only "
                                 "(generate.kind: subscription); set generate.campaigns.enabled: false", params.path)
    if gen.kind == "non_contract":
        with params.located():
            _check_non_contract_params(lab, params.featurize)
        cfg = NonContractConfig(n_customers=gen.n_customers, start_date=gen.start_date, end_date=gen.end_date,
                                seed=gen.seed, behaviour=gen.behaviour)
    else:
        team = gen.campaigns
        # the truth at the scoring date is written for the date the score stage will score: score.as_of, else the
        # data's as-of date (data.as_of, else the data's last day, the generator's end_date)
        scored = params.score.as_of or data.as_of
        cfg = SyntheticConfig(n_customers=gen.n_customers, start_date=gen.start_date, end_date=gen.end_date,
                              seed=gen.seed, campaigns=CampaignConfig(team.top_share, team.control_share,
                                                                       team.reach_rate, team.effects, scored)
                              if team.enabled else None)
    cutoffs = schedule(cut.first, min(cut.last or gen.end_date, gen.end_date), cut.frequency, cut.every_days)
    with atomic_dir(raw_dir) as raw_tmp, atomic_dir(ground_truth_dir) as gt_tmp:
        summary = write_world(raw_tmp, gt_tmp, cfg, cutoffs, lab.horizon_days)
    log.info("generated %s", summary)
    return summary


def _check_non_contract_params(lab: config.LabelParams, feat: config.FeaturizeParams) -> None:
    """The retailer has no churn dates and passive events: refuse params that would label it wrongly."""
    if lab.mode != "inactivity":
        raise config.ParamsError(
            f"generate.kind non_contract writes no churn_date (customers stop buying); set "
            f"label.mode: inactivity (it is {lab.mode})")
    missing = [t for t in noncontract.PASSIVE_EVENT_TYPES if t not in feat.passive_event_types]
    if missing:
        raise config.ParamsError(
            f"generate.kind non_contract sends {', '.join(missing)} events that are not purchases; "
            f"add them to featurize.passive_event_types (now {list(feat.passive_event_types)}) so that 'no activity "
            "in the horizon' means 'no purchase in the horizon'")


def write_world(raw_dir: Path, ground_truth_dir: Path, cfg: SyntheticConfig | NonContractConfig, cutoffs: list,
                horizon_days: int) -> dict:
    """Simulate a synthetic world and write its tables: the contract tables and the ground truth.

    Args:
        raw_dir: folder for ``customers``, ``events`` and ``tickets`` (created if missing).
        ground_truth_dir: folder for ``oracle``, ``drivers`` (and ``drivers_at_cutoff``) (created if missing).
        cfg: the world's knobs: a subscription world (``SyntheticConfig``) or a retailer (``NonContractConfig``).
        cutoffs: the oracle's observation dates.
        horizon_days: the oracle's label horizon.

    Returns:
        The simulation's summary, with the files written.
    """
    kind = noncontract if isinstance(cfg, NonContractConfig) else subscription
    sim = (NonContractSimulation if kind is noncontract else Simulation)(cfg, cutoffs, horizon_days)
    schemas = dict(kind.SCHEMAS)
    raw_tables = set(kind.RAW_TABLES)
    if getattr(cfg, "campaigns", None) is not None:   # the team's contacts (raw) and their truth
        schemas.update(subscription.CAMPAIGN_SCHEMAS)
        raw_tables.update(subscription.RAW_CAMPAIGN_TABLES)
    paths = {name: Path(raw_dir if name in raw_tables else ground_truth_dir) / f"{name}.parquet" for name in schemas}
    write_parquet_streams(sim.tables(), paths, schemas, kind.ROWS_PER_GROUP)
    summary = {**sim.summary(), "files": {k: str(p) for k, p in paths.items()}}
    log.info("synthetic world written: %s", {k: v for k, v in summary.items() if k != "files"})
    return summary


def _telco(tel: config.TelcoParams, data: config.DataParams, cut: config.CutoffParams, lab: config.LabelParams,
           raw_dir: Path, ground_truth_dir: Path) -> dict:
    """Adapt the Telco sample, after checking the params give it exactly one labelled cutoff."""
    snapshot, horizon = tel.snapshot_date, lab.horizon_days
    as_of = telco.as_of_date(snapshot, horizon)
    if Path(data.raw_dir).resolve() != raw_dir.resolve():
        raise config.ParamsError(
            f"data.source is 'telco', which writes the adapted tables to {raw_dir}; set data.raw_dir: {raw_dir} "
            f"(it is {data.raw_dir})")
    if data.as_of != as_of:
        raise config.ParamsError(
            f"data.source 'telco' needs data.as_of: {as_of} (telco.snapshot_date {snapshot} + label.horizon_days "
            f"{horizon}) so that the snapshot is the one cutoff with a full label horizon; it is {data.as_of}")
    cutoffs = schedule(cut.first, min(cut.last or as_of, as_of), cut.frequency, cut.every_days)
    done = labelled(cutoffs, as_of, horizon)
    if done != [snapshot]:
        raise config.ParamsError(
            f"data.source 'telco' has one labelled cutoff, the snapshot {snapshot}; set cutoffs.first: {snapshot} "
            f"(the schedule from {cut.first} labels {', '.join(map(str, done)) or 'no cutoff'})")
    path = Path(tel.path)
    if not path.is_file():
        raise config.ParamsError(f"telco.path {path} does not exist (the sample ships in data/external/telco/)")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    try:
        tables = telco.adapt(raw, snapshot, horizon)
    except telco.TelcoError as exc:
        raise telco.TelcoError(f"{path}: {exc}") from None
    with atomic_dir(raw_dir) as raw_tmp, atomic_dir(ground_truth_dir) as gt_tmp:
        for name, frame in tables.items():
            write_parquet(frame, raw_tmp / f"{name}.parquet")
        (gt_tmp / "SOURCE.txt").write_text(
            f"data.source is 'telco': {path} adapted by features/telco.py (snapshot {snapshot}, horizon {horizon} "
            "days); the label is the sample's Churn column, so there is no separate ground truth.\n")
    customers = tables["customers"]
    summary = {"source": "telco", "customers": len(customers), "churners": int(customers["churn_date"].notna().sum()),
               "events": len(tables["events"]), "snapshot_date": snapshot.isoformat(), "as_of": as_of.isoformat()}
    log.info("adapted the Telco sample: %s", summary)
    return summary
