"""A property test: any small contract folder with awkward strings, ids, headers, timestamps and values either
gives a clear validation error, or runs through validate, featurize, label and a tiny train without a crash."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from features.contract import ContractError
from models.training.booster import params_for
from models.training.fit import train_cross_validated, train_out_of_time
from models.training.split import SplitError
from pipeline.core import config
from pipeline.core.labelled import load_training_frame
from pipeline.stages import featurize, label
from pipeline.stages.validate import Options, validate

AS_OF = dt.date(2024, 9, 30)
RULE = r"rule '([a-z_0-9]+)'"
START = dt.date(2024, 1, 1)
AWKWARD_TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ019 ,;|'\"\n\tüß山ｱ€-_:[]{}")), min_size=0, max_size=8)
ID_TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ0129ü山-_'\" ,;|")), min_size=1, max_size=6)
EVENT_TYPES = ["login", "Login ", " session", "purchase", "log in", "log-in", "total", "payment_failed", "プラン",
               "refund"]
HEADER_STYLES = [lambda c: c, str.upper, lambda c: c.title(), lambda c: c.replace("_", " "),
                 lambda c: " " + c.replace("_", "-") + " "]
ATTRIBUTE_NAMES = ["price plan", "Größe", "a:b", "tenure_days", "cutoff", "region", "プラン名"]


def _stamp(day: dt.date, seconds: int, style: int) -> str:
    t = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    return [t.strftime("%Y-%m-%d %H:%M:%S"), t.strftime("%Y-%m-%dT%H:%M:%S"), t.strftime("%Y-%m-%dT%H:%M:%S+09:00"),
            t.strftime("%Y-%m-%dT%H:%M:%SZ"), t.strftime("%Y-%m-%d %H:%M:%S-05:00")][style]


@st.composite
def exports(draw):
    n = draw(st.integers(3, 14))
    # unique once trimmed (a repeated id is a clear 'unique' error, tested elsewhere); whitespace-only ids may occur
    ids = draw(st.lists(ID_TEXT, min_size=n, max_size=n, unique_by=lambda i: i.strip() or i))
    attribute = draw(st.sampled_from(ATTRIBUTE_NAMES))
    numeric_attribute = draw(st.booleans())
    customers, events = [], []
    for cid in ids:
        signup = START + dt.timedelta(days=draw(st.integers(0, 120)))
        churn = draw(st.one_of(st.none(), st.integers(1, 200)))
        churn_date = signup + dt.timedelta(days=churn) if churn is not None else None
        churn_date = churn_date if churn_date is not None and churn_date <= AS_OF else None
        value = draw(st.floats(-1e6, 1e6, allow_nan=False)) if numeric_attribute else draw(AWKWARD_TEXT)
        customers.append((cid, signup.isoformat(), churn_date.isoformat() if churn_date else "", value))
        last = churn_date or AS_OF
        for _ in range(draw(st.integers(0, 12))):
            day = signup + dt.timedelta(days=draw(st.integers(1, max(1, (last - signup).days))))
            event_type = draw(st.sampled_from(EVENT_TYPES))
            amount = draw(st.floats(-500, 1e9, allow_nan=False)) if event_type == "refund" else draw(
                st.floats(0, 1e9, allow_nan=False))
            stamp = _stamp(min(day, last), draw(st.integers(3600 * 10, 3600 * 13)), draw(st.integers(0, 4)))
            events.append((cid, stamp, event_type, amount))
    return {"customers": customers, "events": events, "attribute": attribute,
            "style": draw(st.sampled_from(range(len(HEADER_STYLES)))), "delimiter": draw(st.sampled_from(",;\t|")),
            "parquet": draw(st.booleans())}


def _write(raw, export) -> None:
    raw.mkdir(parents=True)
    style = HEADER_STYLES[export["style"]]
    heads = {"customers": [style("customer_id"), style("signup_date"), style("churn_date"), export["attribute"]],
             "events": [style("customer_id"), style("timestamp"), style("event_type"), style("value")]}
    for name in ("customers", "events"):
        rows = export[name]
        if export["parquet"]:
            columns = list(zip(*rows)) if rows else [[] for _ in heads[name]]
            pq.write_table(pa.table({h: [str(v) for v in col] for h, col in zip(heads[name], columns)}),
                           raw / f"{name}.parquet")
        else:
            buf = io.StringIO()
            writer = csv.writer(buf, delimiter=export["delimiter"], quoting=csv.QUOTE_MINIMAL)
            writer.writerow(heads[name])
            writer.writerows(rows)
            (raw / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8")


def _params(root) -> None:
    (root / "params.yaml").write_text(yaml.safe_dump({
        "cutoffs": {"first": "2024-01-31"}, "label": {"horizon_days": 30, "mode": "churn_date"},
        "featurize": {"windows": [7, 30], "passive_event_types": ["payment_failed"]}}))


def _tiny_train(root) -> str:
    frame = load_training_frame(root / "features/features.parquet", root / "labels/labels.parquet")
    meta = json.loads((root / "features/features_meta.json").read_text())
    tp = config.TrainParams(num_boost_round=15, early_stopping_rounds=5, num_threads=1, min_child_samples=1,
                            calibration="none", cv_folds=2)
    params = params_for(tp, len(frame))
    try:
        if frame["cutoff"].nunique() == 1:
            train_cross_validated(frame, meta["features"], meta["categorical"], tp, params)
        else:
            train_out_of_time(frame, meta["features"], meta["categorical"], tp, 30, params)
    except SplitError:
        return "trained: too few rows (a clear SplitError)"  # this tiny world cannot be split: not a crash
    return "trained"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(export=exports())
def test_an_export_within_the_contract_never_crashes_a_later_stage(tmp_path_factory, export):
    root = tmp_path_factory.mktemp("export") / uuid.uuid4().hex
    _write(root / "raw", export)
    _params(root)
    try:
        validate(root / "raw", root / "validated", root / "rejected", root / "report.json", "strict", AS_OF,
                 Options(today=dt.date(2026, 12, 1), signed_event_types=("refund",)))
    except ContractError as exc:
        assert str(root / "raw") in str(exc), exc  # a clear error names the file or the folder
        event(f"validation refused it: {sorted(set(re.findall(RULE, str(exc))))}")
        return
    featurize.main(root / "params.yaml", root / "validated", root / "features")
    features = pd.read_parquet(root / "features/features.parquet")
    assert features.columns.is_unique
    try:
        label.main(root / "params.yaml", root / "validated", root / "features/features_meta.json", root / "labels")
    except config.ParamsError as exc:
        assert "horizon" in str(exc)
        event("no labelled cutoff")
        return
    event(_tiny_train(root))
