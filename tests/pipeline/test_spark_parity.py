"""engine: spark builds the same features, labels and scoring population as DuckDB, on an adversarial world."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.stages import featurize, label
from pipeline.stages.validate import validate
from tests.paths import REPO
from tests.spark_world import END, ODD_IDS, write_raw

OUTPUTS = ("features/features.parquet", "labels/labels.parquet", "labels/active_at_score.parquet")


@pytest.fixture(scope="module")
def validated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("spark-world")
    validate(write_raw(root / "raw"), root / "validated", root / "rejected", root / "report.json", "strict", END)
    return root / "validated"


def _params(tmp: Path, engine: str, mode: str, output_dir: Path | None = None) -> Path:
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["cutoffs"].update(first="2024-01-31", last=None, frequency="month_end")
    params["label"].update(mode=mode, horizon_days=30)
    params["engine"] = engine
    params["spark"] = {"master": "local[2]", "partitions": 4, "output_dir": str(output_dir) if output_dir else None}
    path = tmp / f"params-{engine}-{mode}.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return path


def _run(tmp: Path, validated: Path, engine: str, mode: str, output_dir: Path | None = None) -> tuple[Path, dict]:
    out = tmp / f"{engine}-{mode}"
    params = _params(tmp, engine, mode, output_dir)
    meta = featurize.main(params, validated, out / "features")
    label.main(params, validated, out / "features/features_meta.json", out / "labels")
    return out, meta


@pytest.mark.parametrize("mode", ["churn_date", "inactivity"])
def test_spark_equals_duckdb(spark, validated, tmp_path, mode):
    duck_out, duck_meta = _run(tmp_path, validated, "duckdb", mode)
    spark_out, spark_meta = _run(tmp_path, validated, "spark", mode, tmp_path / "cluster")
    assert spark_meta == duck_meta
    for name in OUTPUTS:
        a, b = pq.read_table(duck_out / name), pq.read_table(spark_out / name)
        assert a.num_rows > 0, f"{name}: the world must produce rows"
        assert b.schema == a.schema, f"{name}: column types differ"
        keys = [("cutoff", "ascending"), ("customer_id", "ascending")]
        assert b.sort_by(keys).equals(a.sort_by(keys)), f"{name}: Spark's rows differ from DuckDB's"
        assert (spark_out / name).read_bytes() == (duck_out / name).read_bytes(), f"{name}: not the same bytes"
    assert (spark_out / "labels/label_summary.csv").read_text() == (duck_out / "labels/label_summary.csv").read_text()
    feats = pq.read_table(duck_out / OUTPUTS[0]).to_pandas()
    assert set(ODD_IDS) & set(feats["customer_id"]), "non-ASCII ids reach the features"
    assert feats.isna().any().any(), "the world has nulls in the features"
    cluster = pq.read_table(tmp_path / "cluster/features")
    assert cluster.num_rows == pq.read_metadata(duck_out / OUTPUTS[0]).num_rows, "output_dir holds every row"


def test_engine_is_validated(validated, tmp_path):
    params = yaml.safe_load(_params(tmp_path, "duckdb", "churn_date").read_text(encoding="utf-8"))
    params["engine"] = "polars"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(params), encoding="utf-8")
    with pytest.raises(ValueError, match="engine: 'polars' is not one of duckdb, spark"):
        featurize.main(bad, validated, tmp_path / "out")
    params["engine"] = "duckdb"      # the spark section is checked whichever the engine
    params["spark"]["partitoins"] = 3
    bad.write_text(yaml.safe_dump(params), encoding="utf-8")
    with pytest.raises(ValueError, match="spark.partitoins"):
        featurize.main(bad, validated, tmp_path / "out")


def test_spark_reads_the_tables_from_input_dir_and_names_a_missing_one(spark, validated, tmp_path):
    params = yaml.safe_load(_params(tmp_path, "spark", "churn_date").read_text(encoding="utf-8"))
    params["spark"]["input_dir"] = str(validated)
    good = tmp_path / "input-dir.yaml"
    good.write_text(yaml.safe_dump(params), encoding="utf-8")
    local = tmp_path / "local"   # the stage's own validated folder holds only validate's manifest here
    local.mkdir()
    (local / "manifest.json").write_bytes((validated / "manifest.json").read_bytes())
    meta = featurize.main(good, local, tmp_path / "out")
    assert sum(meta["rows_per_cutoff"].values()) == pq.read_metadata(tmp_path / "out/features.parquet").num_rows > 0
    empty = tmp_path / "no tables here"
    empty.mkdir()
    params["spark"]["input_dir"] = str(empty)
    good.write_text(yaml.safe_dump(params), encoding="utf-8")
    with pytest.raises(ValueError, match=r"spark.input_dir: .*no tables here.*customers table"):
        featurize.main(good, validated, tmp_path / "out2")


def test_spark_without_output_dir_writes_the_same_features(spark, validated, tmp_path):
    """Without spark.output_dir the buckets' rows come back through a local scratch folder: the same bytes."""
    duck_out, _ = _run(tmp_path, validated, "duckdb", "churn_date")
    spark_out, _ = _run(tmp_path, validated, "spark", "churn_date")
    for name in OUTPUTS:
        assert pq.read_metadata(duck_out / name).num_rows > 0, f"{name}: the world must produce rows"
        assert (spark_out / name).read_bytes() == (duck_out / name).read_bytes(), f"{name}: not the same bytes"
    assert not list((spark_out / "features").glob(".*")), "no scratch folder is left"


def test_every_bucket_key_lands_in_its_own_shuffle_partition(spark):
    """The bucket keys, as the engine groups by them, hash to partitions 0..n-1, one each: every task runs one
    bucket (an int literal hashes apart from the long the keys were found as, and buckets shared tasks)."""
    from pyspark.sql import functions as F

    from pipeline.spark.engine import BUCKET, _bucket, bucket_keys

    for n in (4, 8):
        keys = bucket_keys(spark, n)
        ids = spark.createDataFrame([(f"C{i:05d}",) for i in range(400)], ["customer_id"])
        got = _bucket(ids, keys).select(BUCKET).distinct().select(
            F.pmod(F.hash(BUCKET), F.lit(n)).alias("p")).collect()
        assert sorted(r["p"] for r in got) == list(range(n))


def test_a_bucket_writes_its_file_whole_and_the_driver_checks_it(tmp_path):
    """Without spark.output_dir each bucket writes its own rows: whole or not at all, the same file again when a
    task is retried; a file the driver cannot find (workers that do not share its disk) or that lost rows stops
    the stage, naming the file and what to set."""
    import pyarrow as pa

    from pipeline.spark.engine import _checked_part, write_part

    rows = pa.table({"customer_id": ["C1", "C2", "C3"], "x": [1.0, None, 3.0]})
    folder = tmp_path / "features"
    for _ in range(2):   # a retried task writes the same name
        done = write_part(rows, folder, "part-7.parquet").to_pylist()
    assert done == [{"path": str(folder / "part-7.parquet"), "rows": 3}]
    assert sorted(p.name for p in folder.iterdir()) == ["part-7.parquet"], "no temporary file is left"
    assert pq.read_table(folder / "part-7.parquet").equals(rows)
    assert _checked_part(str(folder / "part-7.parquet"), 3, 8) == str(folder / "part-7.parquet")
    with pytest.raises(RuntimeError, match=r"part-7.parquet: holds 3 rows but its customer bucket wrote 4"):
        _checked_part(str(folder / "part-7.parquet"), 4, 8)
    with pytest.raises(RuntimeError, match=r"part-9.parquet: a customer bucket's rows \(one of 8\).*spark.output_dir"):
        _checked_part(str(folder / "part-9.parquet"), 3, 8)
