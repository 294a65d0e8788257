"""With ``generate.campaigns`` off the synthetic world is byte for byte the world before the campaigns' effects.

``golden/world_without_campaigns.md5.json`` holds the md5 of every file that ``write_world`` wrote for this
small world at commit 784008d, before the heterogeneous effects and ``effects_at_score`` were added (the
file bytes depend on the pinned pyarrow of constraints.txt as well), but for ``oracle.parquet``: it gained the
oracle by continuation (issue 29), and its ``oracle_probability_frozen`` column holds, value for value, what
784008d wrote as ``oracle_probability`` (the md5 of those float64 bytes below). Rewrite them only when the
world without campaigns is meant to change, and say so in the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd

from features.cutoffs import schedule
from features.synthetic.subscription import SyntheticConfig
from pipeline.stages.generate import write_world

GOLDEN = Path(__file__).resolve().parent / "golden" / "world_without_campaigns.md5.json"
# md5 of the float64 bytes of 784008d's oracle_probability for this world: today's oracle_probability_frozen
FROZEN_ORACLE_MD5 = "5f0565b87cbe2796060bee39f99e237b"


def test_the_world_without_campaigns_keeps_its_bytes(tmp_path):
    cutoffs = schedule(dt.date(2023, 6, 30), dt.date(2024, 12, 31), "month_end", 30)
    write_world(tmp_path / "raw", tmp_path / "gt", SyntheticConfig(n_customers=600, seed=5, workers=1), cutoffs, 30)
    digests = {f"{d}/{p.name}": hashlib.md5(p.read_bytes()).hexdigest()
               for d in ("raw", "gt") for p in sorted((tmp_path / d).iterdir())}
    assert digests == json.loads(GOLDEN.read_text(encoding="utf-8"))
    frozen = pd.read_parquet(tmp_path / "gt" / "oracle.parquet")["oracle_probability_frozen"].to_numpy()
    assert hashlib.md5(frozen.tobytes()).hexdigest() == FROZEN_ORACLE_MD5
