"""With ``generate.campaigns`` off the synthetic world is byte for byte the world before the campaigns' effects.

``golden/world_without_campaigns.md5.json`` holds the md5 of every file that ``write_world`` wrote for this
small world at commit 784008d, before the heterogeneous effects and ``effects_at_score`` were added (the
file bytes depend on the pinned pyarrow of constraints.txt as well). Rewrite it only when the world without
campaigns is meant to change, and say so in the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from features.cutoffs import schedule
from features.synthetic.subscription import SyntheticConfig
from pipeline.stages.generate import write_world

GOLDEN = Path(__file__).resolve().parent / "golden" / "world_without_campaigns.md5.json"


def test_the_world_without_campaigns_keeps_its_bytes(tmp_path):
    cutoffs = schedule(dt.date(2023, 6, 30), dt.date(2024, 12, 31), "month_end", 30)
    write_world(tmp_path / "raw", tmp_path / "gt", SyntheticConfig(n_customers=600, seed=5, workers=1), cutoffs, 30)
    digests = {f"{d}/{p.name}": hashlib.md5(p.read_bytes()).hexdigest()
               for d in ("raw", "gt") for p in sorted((tmp_path / d).iterdir())}
    assert digests == json.loads(GOLDEN.read_text(encoding="utf-8"))
