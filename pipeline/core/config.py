"""Params: params.yaml read once at a stage's start, each section a frozen, validated model.

A stage calls :meth:`Params.load` once and hands the typed sections down; a misspelled key or a wrong type
stops the stage at once with the key's name, not twenty minutes into a run. A section is validated the first
time the stage reads it, so a stage stops only on the sections it uses (the ones ``dvc.yaml`` names for it).

This module imports none of the reason, playbook or report code, so that a change there reruns only the
stages that render reasons or actions. What only that code can check (the playbook's action texts, the
shapes of ``business.display_names``) is handed in by the stage that uses it: :meth:`Params.checked`.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime as dt
import functools
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.core.errors import ParamsError

__all__ = ["Params", "ParamsError", "load_params", "section"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataParams(_Section):
    source: Literal["synthetic", "dir", "telco"] = "synthetic"
    raw_dir: str = "data/raw"
    as_of: dt.date | None = None
    encoding: str = "auto"         # auto: UTF-8, else CP932 or Windows-1252 when that is certain; or a codec name
    timezone: str = "UTC"          # timestamps with an offset (or time-zone-aware Parquet) are converted to this zone
    exclude_columns: tuple[str, ...] = ()   # customer columns that never enter the pipeline (personal data)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        if v != "auto":
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"unknown encoding {v!r}; use auto, or a codec name such as utf-8, cp932, "
                                 "shift_jis, cp1252 or latin-1") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as UTC, Asia/Tokyo or "
                             "Europe/Berlin") from None
        return v


class TelcoParams(_Section):
    """IBM's Telco sample (``data.source: telco``), placed in time by ``features/telco.py``."""

    path: str = "data/external/telco/WA_Fn-UseC_-Telco-Customer-Churn.csv"
    snapshot_date: dt.date = dt.date(2024, 12, 31)


class SyntheticCampaignParams(_Section):
    """The synthetic retention team of ``generate.campaigns`` (``features/synthetic/subscription/campaigns.py``)."""

    enabled: bool = False
    top_share: float = Field(0.2, gt=0, le=1)        # riskiest share of the active customers worked on per cutoff
    control_share: float = Field(0.2, gt=0, lt=1)    # share of them held out
    reach_rate: float = Field(0.8, gt=0, le=1)       # share of the contacted ones actually reached
    # what an action does (features/synthetic/subscription/effects.py): heterogeneous (varies with what the data
    # shows: fit to the driver, responsiveness, decided customers, sleeping dogs) or uniform (the same for everyone)
    effects: Literal["heterogeneous", "uniform"] = "heterogeneous"


class GenerateParams(_Section):
    kind: Literal["subscription", "non_contract"] = "subscription"
    behaviour: float = Field(1.0, ge=0)   # non_contract: scale of the behavioural drivers (0: pure BG/NBD buying)
    n_customers: int = Field(20_000, gt=0)
    start_date: dt.date = dt.date(2023, 1, 1)
    end_date: dt.date = dt.date(2024, 12, 31)
    seed: int = 42
    campaigns: SyntheticCampaignParams = SyntheticCampaignParams()

    @field_validator("end_date")
    @classmethod
    def _after_start(cls, v: dt.date, info: Any) -> dt.date:
        start = info.data.get("start_date")
        if start is not None and v <= start:
            raise ValueError(f"end_date {v} must be after start_date {start}")
        return v


class CutoffParams(_Section):
    first: dt.date
    last: dt.date | None = None
    frequency: Literal["month_end", "days"] = "month_end"
    every_days: int = Field(30, gt=0)


class LabelParams(_Section):
    # auto (mode, horizon_days): follow the kind of business (:data:`KIND_DEFAULTS`, resolved by :func:`section`)
    mode: Literal["auto", "churn_date", "inactivity"] = "churn_date"
    horizon_days: int | Literal["auto"] = 30
    min_tenure_days: int = Field(0, ge=0)
    active_lookback_days: int = Field(90, gt=0)   # inactivity mode: eligible only with an event in the last N days

    @field_validator("horizon_days")
    @classmethod
    def _positive_horizon(cls, v: int | str) -> int | str:
        if v != "auto" and not v > 0:
            raise ValueError(f"horizon_days must be auto or a positive number of days, got {v}")
        return v


class ValidateParams(_Section):
    mode: Literal["strict", "lenient"] = "strict"
    signed_event_types: tuple[str, ...] = ()   # event types whose value may be negative (refunds, adjustments)
    max_rejected_share: float = Field(0.5, ge=0, le=1)  # lenient: stop when more of a table is quarantined


class FeaturizeParams(_Section):
    windows: tuple[int, ...] | Literal["auto"] = "auto"
    decline_window_days: int = Field(30, gt=0)
    max_event_types: int = Field(12, gt=0)
    value_sum_event_types: tuple[str, ...] | Literal["auto"] = "auto"
    passive_event_types: tuple[str, ...] | Literal["auto"] = ("payment_failed", "plan_change", "price_change", "nps")
    slow_resolution_hours: float = Field(72, gt=0)
    history: bool = True
    chunk_events: int = Field(1_000_000, gt=0)

    @field_validator("windows")
    @classmethod
    def _positive_sorted(cls, v: tuple[int, ...] | str) -> tuple[int, ...] | str:
        if v == "auto":
            return v
        if not v or any(w <= 0 for w in v):
            raise ValueError(f"windows must be positive day counts, got {list(v)}")
        return tuple(sorted(set(v)))


class TrainParams(_Section):
    seed: int = 42
    learning_rate: float | Literal["auto"] = "auto"   # auto: 0.02 below 500,000 labelled rows, else 0.05
    num_leaves: int | Literal["auto"] = "auto"        # auto: 7 below 500,000 labelled rows, else 31
    min_child_samples: int = Field(50, gt=0)
    feature_fraction: float = Field(0.9, gt=0, le=1)
    bagging_fraction: float = Field(0.8, gt=0, le=1)
    bagging_freq: int = Field(1, ge=0)
    lambda_l2: float = Field(5.0, ge=0)
    num_boost_round: int = Field(2000, gt=0)
    early_stopping_rounds: int = Field(100, gt=0)
    num_threads: int = Field(2, gt=0)
    calibration: Literal["isotonic", "platt", "none"] = "isotonic"
    calibration_min_gain: float = Field(0.01, ge=0, lt=1)
    refit: bool = False
    cv_folds: int = Field(5, ge=2)
    optuna_trials: int = Field(0, ge=0)
    linear_blend: float | Literal["auto"] = "auto"
    sample_customers: int | None = Field(None, gt=0)   # train on at most this many customers (seeded by seed)

    @field_validator("learning_rate")
    @classmethod
    def _positive_rate(cls, v: float | str) -> float | str:
        if v != "auto" and not v > 0:
            raise ValueError(f"learning_rate must be auto or positive, got {v}")
        return v

    @field_validator("num_leaves")
    @classmethod
    def _leaves(cls, v: int | str) -> int | str:
        if v != "auto" and not v > 1:
            raise ValueError(f"num_leaves must be auto or at least 2, got {v}")
        return v

    @field_validator("linear_blend")
    @classmethod
    def _blend_weight(cls, v: float | str) -> float | str:
        if v != "auto" and not 0 <= v < 1:
            raise ValueError(f"linear_blend must be auto or a weight in [0, 1), got {v}")
        return v


class EvaluateParams(_Section):
    precision_at_k: tuple[int, ...] = (100, 500)
    segments: tuple[str, ...] = ("plan", "region", "contract")
    contact_cost: float = Field(1.0, ge=0)
    offer_acceptance_rate: float = Field(0.3, ge=0, le=1)
    customer_value: float | None = Field(None, ge=0)
    value_horizon_months: float = Field(12, gt=0)
    gate_margin: float = Field(0.0, ge=0)
    model_name: str = "churn-risk"

    @field_validator("precision_at_k")
    @classmethod
    def _positive_k(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(k <= 0 for k in v):
            raise ValueError(f"precision_at_k must be positive row counts, got {list(v)}")
        return tuple(sorted(set(v)))


class ExplainParams(_Section):
    top_k: int = Field(3, ge=1, le=10)
    # interventional: exact TreeSHAP against reference customers (below) | tree_path: LightGBM's pred_contrib
    method: Literal["interventional", "tree_path"] = "interventional"
    reference_segment: str | None = "contract"        # compare with customers of the same value of this column
    reference_quantile: float = Field(1.0, gt=0, le=1)  # < 1: only the lowest-risk share of them ("healthy")
    reference_size: int = Field(1000, ge=1)           # at most this many reference customers per segment
    driver: Literal["family", "feature"] = "family"   # family: largest sum of risk-raising contributions


class TierParams(_Section):
    method: Literal["threshold", "top_share"] = "top_share"
    high: float = Field(0.05, ge=0, le=1)
    medium: float = Field(0.20, ge=0, le=1)

    @model_validator(mode="after")
    def _in_order(self) -> TierParams:
        if self.method == "top_share" and not self.high <= self.medium:
            raise ValueError(f"with method top_share, high ({self.high}) is the riskiest share and medium "
                             f"({self.medium}) the share up to the end of the medium tier: high must be <= medium")
        if self.method == "threshold" and not self.medium <= self.high:
            raise ValueError(f"with method threshold, high ({self.high}) and medium ({self.medium}) are probability "
                             "thresholds: medium must be <= high")
        return self


class BusinessParams(_Section):
    """What kind of business the data is: it chooses the value model, the reasons' words, the playbook and the
    report's wording (each still overridable in its own section)."""

    kind: Literal["auto", "subscription", "non_contract"] = "auto"   # auto: non_contract in label.mode inactivity
    # Event types, ticket categories, customer columns and their values as the team should read them: {newfriend:
    # friend invitation}, {newfriend: {en: friend invitation, ja: 友達招待}}, {paid_social: {en: paid social ads, ja:
    # SNS広告}}, or one column's values: {channel: {en: Channel, values: {paid_social: paid social ads}}}; by default
    # a readable form of the raw name ("paid_social" reads "paid social"). Their shapes are checked by the stages
    # that show names (``models.retention.labels.check_display_names``, handed to :meth:`Params.checked`).
    display_names: Any = {}

    @field_validator("display_names", mode="before")
    @classmethod
    def _a_mapping(cls, v: Any) -> Any:
        return {} if v is None else v


class ScoreParams(_Section):
    as_of: dt.date | None = None
    # expected_saving: the uplift stage's expected_uplift x value - evaluate.contact_cost (risk x value until an
    # uplift model beat risk ranking)
    rank_by: Literal["churn_probability", "value_at_risk", "expected_saving"] = "churn_probability"
    # auto: the fee column if the data has one (subscription), else the value model of a non-contract business
    # (expected spend over value_horizon_months); or name a numeric column that holds monthly revenue.
    revenue_column: str = "auto"
    value_horizon_months: float = Field(12, gt=0)   # non-contract: the expected spend's horizon
    spend_event_type: str = "auto"   # non-contract: the event type whose value is spend (auto: purchase, order, ...)
    tiers: TierParams = TierParams()
    drift_psi_threshold: float = Field(0.2, gt=0)


class ReportParams(_Section):
    language: Literal["en", "ja"] = "en"
    top_n: int = Field(100, gt=0)
    currency: str = "USD"


class PlaybookParams(_Section):
    """Overrides of the default playbook (``models/retention/playbooks/<kind>.yaml``); every key is optional.

    ``families`` and ``actions`` merge key by key into the default; ``default`` and
    ``segment_rules`` replace it when given. The stage that recommends actions resolves them against the
    playbook's schema (``models.retention.playbook.resolve``, through :meth:`Params.checked`).
    """

    families: dict[str, str] | None = None
    default: str | None = None
    segment_rules: tuple[dict[str, Any], ...] | None = None   # checked by the playbook's own schema when resolved
    actions: dict[str, dict[str, str]] | None = None


class CampaignParams(_Section):
    """The campaign the scored list starts (``score``) and how campaigns are measured (``measure``)."""

    id: str | None = None              # null: the scoring date (YYYY-MM-DD)
    control_share: float = Field(0.1, gt=0, lt=1)   # share of every stratum (risk tier x action) held out
    # the risk tiers the campaign contacts, or the top share of the ranked list (e.g. 0.05)
    contact: tuple[Literal["high", "medium", "low"], ...] | float = ("high", "medium")

    @field_validator("id")
    @classmethod
    def _folder_name(cls, v: str | None) -> str | None:
        if v is not None and (not v.strip() or any(c in v for c in '/\\:*?"<>|') or v.startswith(".")):
            raise ValueError(f"campaign id {v!r} must be a non-empty name usable as a folder (no / \\ : * ? \" < > |, "
                             "not starting with a dot)")
        return v

    @field_validator("contact")
    @classmethod
    def _share_or_tiers(cls, v: tuple[str, ...] | float) -> tuple[str, ...] | float:
        if isinstance(v, float) and not 0 < v <= 1:
            raise ValueError(f"contact as a share of the ranked list must be in (0, 1], got {v}")
        if isinstance(v, tuple) and not v:
            raise ValueError("contact lists no risk tier; give tiers (high, medium, low) or a share such as 0.05")
        return v


class SparkParams(_Section):
    """Where and how ``engine: spark`` runs featurize and label (see pipeline/spark/engine.py)."""

    master: str | None = "local[2]"   # None: the master spark-submit or the cluster gives
    partitions: int = Field(8, gt=0)  # customer buckets (and shuffle partitions); a bucket fits one Python worker
    input_dir: str | None = None      # the validated tables (e.g. s3a://bucket/validated); None: the stage's folder
    output_dir: str | None = None     # also write features/ and labels/ there as partitioned Parquet; None: only
                                      # the stage's own outputs under data/
    conf: dict[str, str] = {}         # any further Spark settings, e.g. {spark.executor.memory: 8g}
    max_csv_rows: int = Field(1_000_000, gt=0)   # spark-score writes the CSV for the team up to this many customers


ENGINES = ("duckdb", "spark")


class MlflowParams(_Section):
    tracking_uri: str | None = None
    experiment: str = "churn"


@dataclasses.dataclass(frozen=True)
class KindDefaults:
    """What ``auto`` means in ``label.mode``, ``label.horizon_days`` and ``featurize.passive_event_types``."""

    mode: str
    horizon_days: int
    passive_event_types: tuple[str, ...]


# The values that must agree with the kind of business. ``auto`` follows ``generate.kind`` for the built-in world
# (data.source: synthetic); an export (dir) and the Telco sample read as a subscription, as before ``auto`` existed:
# ``churn init DIR`` writes the values an export's own data calls for. non_contract's passive types are the
# retailer's (features/synthetic/noncontract/config.py; a test checks they cover it).
KIND_DEFAULTS: dict[str, KindDefaults] = {
    "subscription": KindDefaults("churn_date", 30, ("payment_failed", "plan_change", "price_change", "nps")),
    "non_contract": KindDefaults("inactivity", 90, ("email_open", "price_change")),
}


SECTIONS: dict[str, type[_Section]] = {
    "data": DataParams,
    "generate": GenerateParams,
    "telco": TelcoParams,
    "cutoffs": CutoffParams,
    "label": LabelParams,
    "validate": ValidateParams,
    "featurize": FeaturizeParams,
    "train": TrainParams,
    "evaluate": EvaluateParams,
    "explain": ExplainParams,
    "score": ScoreParams,
    "report": ReportParams,
    "playbook": PlaybookParams,
    "mlflow": MlflowParams,
    "business": BusinessParams,
    "campaign": CampaignParams,
    "spark": SparkParams,
}


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    """Read params.yaml as a plain dict.

    Args:
        path: the params file.

    Returns:
        The parsed YAML mapping.
    """
    path = Path(path)
    if not path.exists():
        raise ParamsError("params file not found (run from the repository root)", path)
    with path.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    if not isinstance(raw, dict):
        raise ParamsError(f"expected a mapping of sections, got {type(raw).__name__}", path)
    return raw


def section(params: dict[str, Any], name: str, path: str | Path = "params.yaml") -> Any:
    """Validate one params section and return it as a frozen model.

    Args:
        params: the dict from ``load_params``.
        name: the section name, one of ``SECTIONS``.
        path: the file the params came from, for error messages.

    Returns:
        The validated section model.
    """
    model = SECTIONS[name]
    values = params.get(name)
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ParamsError(f"section '{name}' must be a mapping, got {values!r}", path)
    try:
        value = model.model_validate(values)
    except ValidationError as exc:
        raise ParamsError(_problems(name, exc), path) from None
    return _resolved(params, value, path) if name in ("label", "featurize") else value


def kind_defaults(params: dict[str, Any], path: str | Path = "params.yaml") -> KindDefaults:
    """The values ``auto`` stands for: ``generate.kind``'s for the built-in world, else a subscription's."""
    synthetic = section(params, "data", path).source == "synthetic"
    return KIND_DEFAULTS[section(params, "generate", path).kind if synthetic else "subscription"]


def _resolved(params: dict[str, Any], value: Any, path: str | Path) -> Any:
    """``value`` (the label or featurize section) with every ``auto`` of :class:`KindDefaults` filled in."""
    names = ("passive_event_types",) if isinstance(value, FeaturizeParams) else ("mode", "horizon_days")
    auto = [n for n in names if getattr(value, n) == "auto"]
    if not auto:
        return value
    defaults = kind_defaults(params, path)
    return value.model_copy(update={n: getattr(defaults, n) for n in auto})


def _problems(name: str, exc: ValidationError) -> str:
    return "; ".join(f"{name}.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}".replace(f"{name}.:", f"{name}:")
                     for err in exc.errors())


S = TypeVar("S", bound=_Section)


class _Of(Generic[S]):
    """A typed section of :class:`Params`: ``params.score`` is the validated ``score:`` section."""

    def __init__(self, model: type[S]) -> None:
        self.model = model

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, params: Params, owner: type | None = None) -> S:
        return params.section(self.name)


class Params:
    """params.yaml, read once: the typed sections a stage hands down, each validated the first time it is read.

    Nothing below a stage needs the file: a check there raises :class:`ParamsError` without a path, and the
    stage runs it inside :meth:`located`, which adds the file's name to the message.
    """

    data = _Of(DataParams)
    generate = _Of(GenerateParams)
    telco = _Of(TelcoParams)
    cutoffs = _Of(CutoffParams)
    label = _Of(LabelParams)
    validate = _Of(ValidateParams)
    featurize = _Of(FeaturizeParams)
    train = _Of(TrainParams)
    evaluate = _Of(EvaluateParams)
    explain = _Of(ExplainParams)
    score = _Of(ScoreParams)
    report = _Of(ReportParams)
    playbook = _Of(PlaybookParams)
    mlflow = _Of(MlflowParams)
    business = _Of(BusinessParams)
    campaign = _Of(CampaignParams)
    spark = _Of(SparkParams)

    def __init__(self, raw: Mapping[str, Any] | None = None, path: str | Path = "params.yaml") -> None:
        self.raw: Mapping[str, Any] = {} if raw is None else raw
        self.path = Path(path)
        self._sections: dict[str, Any] = {}

    @classmethod
    def load(cls, path: str | Path = "params.yaml") -> Params:
        """Read the params file (one clear error when it is missing or not a mapping of sections)."""
        return cls(load_params(path), path)

    def section(self, name: str) -> Any:
        """The validated section ``name`` (one of :data:`SECTIONS`), validated once."""
        if name not in self._sections:
            self._sections[name] = section(self.raw, name, self.path)
        return self._sections[name]

    @functools.cached_property
    def business_kind(self) -> str:
        """``business.kind``, with ``auto`` resolved from ``label.mode`` (inactivity: non_contract)."""
        if self.business.kind != "auto":
            return self.business.kind
        return "non_contract" if self.label.mode == "inactivity" else "subscription"

    @functools.cached_property
    def engine(self) -> str:
        """The top-level ``engine`` key: duckdb (the default) or spark, for the featurize and label stages.

        The ``spark`` section is validated too, whichever the engine, so that a misspelled key there
        stops the stage now, not on the day the engine is switched.
        """
        value = self.raw.get("engine", "duckdb")
        if value not in ENGINES:
            raise ParamsError(f"engine: {value!r} is not one of {', '.join(ENGINES)}", self.path)
        _ = self.spark
        return value

    @contextlib.contextmanager
    def located(self) -> Iterator[None]:
        """Run checks below the stage: a :class:`ParamsError` they raise names this params file."""
        try:
            yield
        except ParamsError as exc:
            raise exc.at(self.path) from None

    def checked(self, key: str, check: Callable[[Any], Any]) -> Any:
        """``check`` of a section (``"playbook"``) or of one of its keys (``"business.display_names"``), with the
        problems it finds as one :class:`ParamsError` naming the keys.

        For the checks only the code that uses a section can make (the playbook's schema and action texts, the
        shapes of display names): a pydantic error names each key under ``key``, a ``ValueError`` is prefixed
        by it.
        """
        name, _, field = key.partition(".")
        value = self.section(name)
        try:
            return check(getattr(value, field) if field else value)
        except ValidationError as exc:
            raise ParamsError(_problems(key, exc), self.path) from None
        except ParamsError as exc:
            raise exc.at(self.path) from None
        except ValueError as exc:
            raise ParamsError(f"{key}: {exc}", self.path) from None
