"""The featurize stage builds customers in id ranges: the output must not depend on how they were split."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from features.build import chunk_count
from features.synthetic.subscription import SyntheticConfig
from pipeline.stages import featurize
from pipeline.stages.generate import write_world
from pipeline.stages.validate import validate
from tests.paths import REPO

END = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def validated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("world")
    cfg = SyntheticConfig(n_customers=600, start_date=dt.date(2023, 6, 1), end_date=END, seed=7, workers=1)
    write_world(root / "raw", root / "ground_truth", cfg, [dt.date(2024, 3, 31)], 30)
    validate(root / "raw", root / "validated", root / "rejected", root / "report.json", "strict", None)
    return root / "validated"


def _params(tmp: Path, chunk_events: int) -> Path:
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["cutoffs"].update(first="2024-01-31", last=None, frequency="month_end")
    params["featurize"]["chunk_events"] = chunk_events
    path = tmp / f"params-{chunk_events}.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def test_chunk_count():
    assert chunk_count(10, 5, 100) == 1
    assert chunk_count(1_000, 50, 100) == 10
    assert chunk_count(1_001, 50, 100) == 11
    assert chunk_count(1_000, 3, 1) == 3, "never more ranges than customers"
    assert chunk_count(1_000, 1, 1) == 1


def test_customer_ranges_cover_every_customer_once(validated):
    con = duckdb.connect()
    con.execute(f"CREATE VIEW customers AS SELECT * FROM read_parquet('{validated / 'customers.parquet'}')")
    ids = sorted(r[0] for r in con.sql("SELECT customer_id FROM customers").fetchall())
    for n in (1, 2, 7, len(ids)):
        ranges = featurize.customer_ranges(con, n)
        assert len(ranges) == n
        assert ranges[0][0] is None and ranges[-1][1] is None
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:])), "ranges are contiguous"
        owners = [sum((lo is None or c >= lo) and (hi is None or c < hi) for lo, hi in ranges) for c in ids]
        assert set(owners) == {1}, "every customer is in exactly one range"
        sizes = [sum((lo is None or c >= lo) and (hi is None or c < hi) for c in ids) for lo, hi in ranges]
        assert max(sizes) - min(sizes) <= max(1, len(ids) // n), f"ranges are balanced: {sizes}"


def test_output_is_the_same_bytes_however_customers_are_split(validated, tmp_path, caplog):
    n_events = len(pd.read_parquet(validated / "events.parquet", columns=["customer_id"]))
    caplog.set_level("INFO", logger="pipeline.stages.featurize")
    whole = featurize.main(_params(tmp_path, 10 * n_events), validated, tmp_path / "whole")
    assert "in 1 range(s)" in caplog.text
    caplog.clear()
    split = featurize.main(_params(tmp_path, n_events // 9), validated, tmp_path / "split")
    assert "in 10 range(s)" in caplog.text
    assert whole == split
    a = (tmp_path / "whole/features.parquet").read_bytes()
    b = (tmp_path / "split/features.parquet").read_bytes()
    assert a == b, "the split build must write the same file"
    frame = pd.read_parquet(tmp_path / "split/features.parquet")
    assert len(frame) == sum(whole["rows_per_cutoff"].values()) > 1000
    keys = list(zip(frame["cutoff"], frame["customer_id"]))
    assert keys == sorted(keys) and len(set(keys)) == len(keys), "ordered by cutoff, then customer; no duplicates"
    assert not list((tmp_path / "split").glob(".featurize-parts-*")), "no temporary parts left behind"


def test_the_stitched_file_equals_one_query_over_everyone(validated, tmp_path):
    """The stitched table has the values (and types) of the feature query run once over all customers."""
    from features.build import calendar_tables, feature_sql
    from pipeline.core import config
    from pipeline.core.duck import connect_validated
    from pipeline.core.io import read_json

    meta = featurize.main(_params(tmp_path, 5_000), validated, tmp_path / "out")
    stitched = pd.read_parquet(tmp_path / "out/features.parquet")
    con = connect_validated(validated)
    feat = config.section(config.load_params(_params(tmp_path, 5_000)), "featurize")
    manifest = read_json(validated / "manifest.json")
    as_of = dt.date.fromisoformat(manifest["as_of"])
    cfg = featurize.feature_config(con, feat, tuple(manifest["attributes"]), 30, as_of)
    assert list(cfg.windows) == meta["windows"] and list(cfg.value_sum_event_types) == meta["value_sum_event_types"]
    cutoffs = [dt.date.fromisoformat(c) for c in meta["cutoffs"]]
    first_day = con.sql("SELECT min(signup_date) FROM customers").fetchall()[0][0]
    day_cutoff, day_bucket = calendar_tables(cutoffs, first_day, cfg.lookback_days)
    con.register("cutoffs", pd.DataFrame({"cutoff": cutoffs}))
    con.register("day_cutoff", day_cutoff)
    con.register("day_bucket", day_bucket)
    once = con.sql(feature_sql(cfg)[0]).df()
    con.close()
    once["cutoff"] = pd.to_datetime(once["cutoff"]).dt.date
    stitched["cutoff"] = pd.to_datetime(stitched["cutoff"]).dt.date
    pd.testing.assert_frame_equal(stitched, once, check_dtype=False)


def test_stitch_orders_by_cutoff_then_range_and_refuses_to_lose_rows(tmp_path):
    """Parts come back cutoff by cutoff, ranges in customer order; rows at a cutoff the stage does not have are an
    error, not a silent drop."""
    import pyarrow as pa

    from pipeline.core.parts import split_part, stitch

    jan, feb = dt.date(2024, 1, 31), dt.date(2024, 2, 29)
    parts = []
    for i, ids in enumerate((["A", "B"], ["C"])):
        table = pa.table({"customer_id": ids * 2, "cutoff": pa.array([jan] * len(ids) + [feb] * len(ids), pa.date32()),
                          "x": list(range(2 * len(ids)))})
        parts.append(tmp_path / f"part-{i}")
        split_part(table, [jan, feb], parts[-1])
    assert stitch(parts, [jan, feb], table.schema, tmp_path / "all.parquet") == 6
    out = pd.read_parquet(tmp_path / "all.parquet")
    assert out["customer_id"].tolist() == ["A", "B", "C", "A", "B", "C"]
    assert out["x"].tolist() == [0, 1, 0, 2, 3, 1]
    with pytest.raises(RuntimeError, match="2 of the range's 4 rows are at a cutoff that is not one of the stage's 1"):
        split_part(pa.table({"customer_id": ["A", "B", "A", "B"],
                   "cutoff": pa.array([jan, jan, feb, feb], pa.date32()), "x": [0, 1, 2, 3]}), [jan], tmp_path / "bad")


def test_one_range_is_written_whole_with_the_same_check(tmp_path):
    """A single range skips the parts: its rows are sorted and written directly, and a row at a cutoff the stage does
    not have is still an error that leaves no file behind."""
    import pyarrow as pa

    from pipeline.core.parts import write_whole

    jan, feb = dt.date(2024, 1, 31), dt.date(2024, 2, 29)
    table = pa.table({"customer_id": ["B", "A", "B", "A"], "cutoff": pa.array([feb, feb, jan, jan], pa.date32()),
                      "x": [0, 1, 2, 3]})
    assert write_whole(table, [jan, feb], tmp_path / "all.parquet") == 4
    out = pd.read_parquet(tmp_path / "all.parquet")
    assert out["customer_id"].tolist() == ["A", "B", "A", "B"] and out["x"].tolist() == [3, 2, 1, 0]
    with pytest.raises(RuntimeError, match="2 of the range's 4 rows are at a cutoff that is not one of the stage's 1"):
        write_whole(table, [jan], tmp_path / "bad.parquet")
    assert not (tmp_path / "bad.parquet").exists()


def test_an_event_log_in_no_order_is_split_by_range_once_and_gives_the_same_bytes(validated, tmp_path, caplog):
    """Exports are rarely ordered by customer: then every range would scan the whole log, so it is split once;
    the features are the same bytes as from the ordered log."""
    import shutil

    from pipeline.core.ranges import clustered

    shuffled = tmp_path / "shuffled"
    shutil.copytree(validated, shuffled)
    for name in ("events", "tickets"):
        frame = pd.read_parquet(validated / f"{name}.parquet").sample(frac=1.0, random_state=1)
        frame.to_parquet(shuffled / f"{name}.parquet", index=False, row_group_size=max(1, len(frame) // 8))
    assert clustered(validated / "events.parquet") and not clustered(shuffled / "events.parquet")
    n_events = len(pd.read_parquet(validated / "events.parquet", columns=["customer_id"]))
    whole = featurize.main(_params(tmp_path, 10 * n_events), validated, tmp_path / "whole")
    caplog.set_level("INFO", logger="pipeline.core.ranges")
    split = featurize.main(_params(tmp_path, n_events // 7), shuffled, tmp_path / "split")
    assert "events is not ordered by customer" in caplog.text and "tickets is not ordered by customer" in caplog.text
    assert whole == split
    assert (tmp_path / "whole/features.parquet").read_bytes() == (tmp_path / "split/features.parquet").read_bytes()


def test_the_features_are_the_same_bytes_on_one_thread_or_two(validated, tmp_path, monkeypatch):
    n_events = len(pd.read_parquet(validated / "events.parquet", columns=["customer_id"]))
    files = {}
    for threads in ("1", "2"):
        monkeypatch.setenv("CHURN_DUCKDB_THREADS", threads)
        featurize.main(_params(tmp_path, n_events // 3), validated, tmp_path / threads)
        files[threads] = (tmp_path / threads / "features.parquet").read_bytes()
    assert files["1"] == files["2"]
