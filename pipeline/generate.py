"""Stage generate: the built-in synthetic customer world.

With ``data.source: synthetic`` it writes the contract tables to
``data/raw/`` and the generator's ground truth to ``data/ground_truth/`` (a
folder the model stages never read). With any other source it writes only a
note in each folder, so the stage stays cheap and its outputs exist.
"""

from __future__ import annotations

import logging
from pathlib import Path

from features.cutoffs import schedule
from features.synthetic import SyntheticConfig, generate
from pipeline import config
from pipeline.io import atomic_dir

log = logging.getLogger(__name__)


def main(params_path: Path = Path("params.yaml"), raw_dir: Path = Path("data/raw"),
         ground_truth_dir: Path = Path("data/ground_truth")) -> dict:
    """Run the generate stage from params."""
    params = config.load_params(params_path)
    data = config.section(params, "data", params_path)
    gen = config.section(params, "generate", params_path)
    cut = config.section(params, "cutoffs", params_path)
    lab = config.section(params, "label", params_path)
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
    cfg = SyntheticConfig(n_customers=gen.n_customers, start_date=gen.start_date, end_date=gen.end_date, seed=gen.seed)
    cutoffs = schedule(cut.first, min(cut.last or gen.end_date, gen.end_date), cut.frequency, cut.every_days)
    with atomic_dir(raw_dir) as raw_tmp, atomic_dir(ground_truth_dir) as gt_tmp:
        summary = generate(raw_tmp, gt_tmp, cfg, cutoffs, lab.horizon_days)
    log.info("generated %s", summary)
    return summary
