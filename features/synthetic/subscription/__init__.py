"""A seeded, vectorised synthetic subscription business with ground truth.

The generator simulates a "customer world" week by week. Every customer of a
chunk is a row of numpy arrays; the only Python loops are over weeks, chunks,
cutoffs and the handful of horizon weeks of the oracle, never over customers or
events.

Model of the world
------------------
* Customers sign up between ``start_date`` and ``end_date`` (growing business,
  fewer signups at weekends). Customer ids are given in signup order. Static
  attributes are drawn at signup: ``plan`` (basic/standard/premium), the list
  ``monthly_fee`` at signup, ``contract`` (monthly/annual), acquisition
  ``channel``, ``region`` and ``favourite_colour`` (which has no effect at all).
* A latent engagement ``e`` per customer follows a mean-reverting random walk
  around a personal baseline. Occasionally a customer enters a "disengaging"
  state in which ``e`` drifts down week after week (more likely after bad
  support, price increases and payment failures) until it recovers or the
  customer leaves. Usage events (``login``, ``session``, ``feature_use``) are
  Poisson with a mean of ``rate * onboarding(tenure) * exp(e) * season``;
  the onboarding curve ramps usage up over the first weeks, weekends are quieter
  and there is a time-of-day profile. Regional outages depress usage and cause
  outage tickets.
* Support tickets (billing, bug, outage, howto, complaint) have category
  dependent rates, log-normal resolution times (tickets still open at the end
  of the data have no ``resolved_at``) and a satisfaction answer (1..5,
  sometimes missing) that falls with slow resolution.
* Monthly customers are billed on their signup day-of-month, annual customers
  on the signup anniversary; a payment can fail (``payment_failed`` events,
  value = amount, with an occasional retry failure). Configured price increases
  emit ``price_change`` events (value = new monthly fee) to the affected active
  customers. Plans can be upgraded or downgraded (``plan_change``, value = new
  fee). NPS surveys are sent after 4 weeks and then every 13 weeks; answers
  (``nps``, value 0..10) follow the latent engagement and support experience.

Churn hazard
------------
At the start of every week ``w`` each customer has a weekly churn hazard
``h = sigmoid(base[contract] + shift + sum of family contributions)`` computed
only from what is observable in the generated tables *before* that week (so a
point-in-time feature pipeline can learn it):

=============  ================================================================
family         contribution
=============  ================================================================
usage          decline of usage events: ``log((prev 4 weeks + 1) / (last 4 weeks + 1))`` clipped at 0
engagement     days since the last event of any kind; last NPS answer (detractors up, promoters down)
tenure         early life (decays with tenure); annual renewal (annual customers churn mostly on their
               renewal day); recent downgrade (up) / upgrade (down)
complaints     tickets opened in the last 8 weeks: open and ageing, slow resolution (> 72 h), low
               satisfaction raise it, fast well-rated resolutions lower it; complaints weigh most
billing        payment failures in the last 4 weeks; a price increase in the last 8 weeks (by its size)
attributes     acquisition channel, region, plan at signup (``favourite_colour`` has no effect)
=============  ================================================================

Within a week churn can happen on any day after signup (probability
``1 - (1 - h) ** (days / 7)``); an annual customer whose renewal day falls in the
week instead churns on the renewal day with probability
``sigmoid(logit + renewal_boost)``. A churned customer produces nothing after
the end of its churn day.

Ground truth
------------
* ``oracle.parquet``: for each cutoff ``D`` (end of day ``D``) and every
  customer active at ``D``, ``oracle_probability``: P(churn within ``(D, D + H]`` |
  the world's state at ``D``), by continuation (``continuation.py``): the
  customer's state at the start of the week containing ``D + 1`` (built from data
  strictly before that week, so never from after ``D``) is copied
  ``oracle_continuations`` times (32) and each copy lives on through the horizon
  with the world's own weekly steps, the hazard recomputed every week as the churn
  draw's is and no churn drawn into it; the oracle is the mean over the copies of
  ``1 - prod_k (1 - q_k)``. The copies draw from their own generator, so the other
  tables are the same bytes whatever their number. ``oracle_probability_frozen``
  is the earlier figure: the hazard *as of the week containing D + 1* held fixed
  over the horizon, except for the parts that advance deterministically with time
  (the early-life term at the tenure of each horizon week, an annual renewal in
  the horizon). The campaigns (below) rank by the frozen figure, as before.
* With ``SyntheticConfig.campaigns`` (``generate.campaigns``), a retention team acts on lists at the cutoffs
  with a holdout (``campaigns.py``; what an action does: ``effects.py``): the raw ``contacts`` table, and
  ``campaign_effects`` and ``campaigns`` (each customer's and each campaign's true effect) in the ground truth
  (``campaign_tables.py``), with ``effects_at_score``: what every action would do to every customer active at
  the scoring date (``at_score.py``).
* ``drivers.parquet``: for every churned customer, the family with the largest
  contribution to the hazard of its churn week (``features.catalog.FAMILIES``).
* ``drivers_at_cutoff.parquet``: for every oracle row (cutoff ``D``, customer
  active at ``D``) the six family contributions to the logit of the hazard the
  oracle uses (the week containing ``D + 1``, which is the first horizon week:
  ``base[contract] + shift + sum`` is that week's logit), with an annual renewal
  inside the horizon counted in ``tenure`` as ``RENEWAL_BOOST``, the log-odds the
  oracle applies in the renewal week; and ``true_driver``, the family with the
  largest contribution minus its reference, the mean over *all* the world's
  customers active at ``D`` with the same ``contract`` (ties: the first family).
  The reference is the whole world's, not a chunk's: the rows are spooled to a
  temporary Arrow file and written after the last chunk (``tables.CutoffDrivers``).

Determinism and resources
-------------------------
Chunk ``i`` uses ``np.random.default_rng([seed, i])`` (signup days come from a
separate stream), so the output does not depend on the number of worker
processes. :class:`Simulation` hands the tables out chunk by chunk as Arrow
tables, so memory stays bounded by one chunk (``drivers_at_cutoff`` comes after
the last chunk, read back from its spool in the system's temporary folder); the
generate stage writes them (``pipeline/stages/generate.py``).

Where things live
-----------------
``config.py`` the knobs, vocabulary and hazard coefficients; ``world.py`` the
calendar all chunks share; ``state.py`` a chunk of customers as arrays;
``hazard.py`` the weekly hazard, the churn draw and the frozen oracle (with the
drivers at the cutoff); ``continuation.py`` the oracle by continuation;
``activity.py`` one function per weekly step of what customers do;
``simulate.py`` the weekly loop; ``tables.py`` the chunk as contract tables (and
``CutoffDrivers``, the whole world's drivers at the cutoffs);
``campaigns.py``, ``effects.py``, ``treatment.py``, ``at_score.py`` and ``campaign_tables.py`` the retention
team, what its actions do, and their truth. What both worlds
share (the common knobs, the chunked run, the tables of the same schema) is in
``features/synthetic/core/``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pyarrow as pa

from features.catalog import FAMILIES
from features.synthetic.core.chunks import chunk_results
from features.synthetic.core.simulation import WorldSimulation
from features.synthetic.core.tables import RAW_TABLES, ROWS_PER_GROUP, TRUTH_TABLES, id_width, ids, start_offsets
from features.synthetic.subscription.at_score import score_day
from features.synthetic.subscription.campaign_tables import (
    CAMPAIGN_SCHEMAS,
    RAW_CAMPAIGN_TABLES,
    CampaignTotals,
    chunk_campaign_tables,
    chunk_effects_at_score,
)
from features.synthetic.subscription.campaigns import CampaignConfig
from features.synthetic.subscription.config import (
    CHANNELS,
    COLOURS,
    EVENT_TYPES,
    NO_EFFECT_ATTRIBUTES,
    PLANS,
    REGIONS,
    TICKET_CATEGORIES,
    SyntheticConfig,
)
from features.synthetic.subscription.simulate import simulate_chunk
from features.synthetic.subscription.tables import ID_PREFIX, SCHEMAS, CutoffDrivers, chunk_stats, chunk_tables
from features.synthetic.subscription.world import make_world, signup_days

logger = logging.getLogger(__name__)

__all__ = [
    "SyntheticConfig",
    "CampaignConfig",
    "Simulation",
    "CAMPAIGN_SCHEMAS",
    "RAW_CAMPAIGN_TABLES",
    "EVENT_TYPES",
    "TICKET_CATEGORIES",
    "PLANS",
    "CHANNELS",
    "REGIONS",
    "COLOURS",
    "NO_EFFECT_ATTRIBUTES",
    "RAW_TABLES",
    "TRUTH_TABLES",
    "SCHEMAS",
    "ROWS_PER_GROUP",
]


class Simulation(WorldSimulation):
    """One synthetic world: its tables chunk by chunk, then a summary.

    Args:
        config: the world's knobs.
        cutoffs: observation dates (end of day) of the oracle; those outside the period are ignored.
        horizon_days: label horizon H of the oracle probability, churn in (D, D + H].
    """

    def __init__(self, config: SyntheticConfig, cutoffs: Sequence[date], horizon_days: int) -> None:
        super().__init__(config, cutoffs, horizon_days, make_world)

    def tables(self) -> Iterator[tuple[str, pa.Table]]:
        """Yield ``(table name, rows)`` chunk by chunk (names of ``RAW_TABLES`` and ``TRUTH_TABLES``).

        Memory stays bounded by one chunk; rows of a table come in customer-id order (``oracle`` and
        ``drivers_at_cutoff`` by cutoff, then customer, within a chunk). ``drivers_at_cutoff`` comes
        after the last chunk: its true drivers need the whole world's reference (:class:`CutoffDrivers`).
        """
        cfg = self.config
        logger.info("generating %d customers from %s to %s (seed %d, %d cutoffs, horizon %d d)",
                    cfg.n_customers, cfg.start_date, cfg.end_date, cfg.seed, len(self.cutoff_days), self.horizon_days)
        signups = signup_days(cfg, self.world.n_days)
        width = id_width(cfg.n_customers)
        with tempfile.TemporaryDirectory(prefix="synthetic-drivers-at-cutoff-") as spool_dir:
            drivers = CutoffDrivers(Path(spool_dir) / "contributions.arrow")
            totals = CampaignTotals()
            try:
                for first, res in chunk_results(simulate_chunk, cfg, self.world, signups, self.cutoff_days,
                                                self.horizon_days):
                    yield from chunk_tables(res, first, width, self.world, drivers)
                    if cfg.campaigns is not None:
                        yield from self._campaign_tables(res, first, width, totals)
                    stats = chunk_stats(res, self.world)
                    self.add_totals(stats)
                    logger.info("chunk from customer %d: %d events, %d churned", first, stats["n_events"],
                                stats["n_churned"])
                for table in drivers.tables():
                    yield "drivers_at_cutoff", table
                if cfg.campaigns is not None:
                    yield "campaigns", totals.table(start_offsets(self.world.start)[0])
            finally:
                drivers.close()
        for i, f in enumerate(FAMILIES):
            self.totals[f"true_driver_{f}"] = self.totals.get(f"true_driver_{f}", 0) + int(drivers.true_drivers[i])

    def _campaign_tables(self, res: dict, first: int, width: int,
                         totals: CampaignTotals) -> Iterator[tuple[str, pa.Table]]:
        """The chunk's ``contacts`` and ``campaign_effects`` (``features/synthetic/subscription/campaigns.py``)."""
        rec = res["campaigns"]
        totals.add(rec)
        customer_ids = ids(ID_PREFIX, first, res["customers"]["signup_day"].shape[0], width)
        start_days, start_us = start_offsets(self.world.start)
        yield from chunk_campaign_tables(rec, customer_ids, start_days, start_us)
        scored = score_day(self.config.campaigns.score_date, self.config.start_date, self.world.end_day)
        yield from chunk_effects_at_score(res["at_score"], customer_ids, scored, start_days)

    def summary(self) -> dict:
        """Row counts, churned customers, monthly churn rate, events per customer, dominant drivers (of the
        churners) and true drivers at the cutoffs (rows of ``drivers_at_cutoff`` per family)."""
        t = self.totals
        months = t["exposure_days"] / 30.4375
        return {
            "n_customers": t["n_customers"],
            "n_events": t["n_events"],
            "n_tickets": t["n_tickets"],
            "n_churned": t["n_churned"],
            "n_oracle_rows": t["n_oracle_rows"],
            "customer_months": round(months, 1),
            "churn_rate_monthly": t["n_churned"] / months if months else 0.0,
            "events_per_customer": t["n_events"] / max(1, t["n_customers"]),
            "events_by_type": {e: t[f"events_{e}"] for e in EVENT_TYPES},
            "dominant_drivers": {f: t[f"driver_{f}"] for f in FAMILIES},
            "true_drivers_at_cutoff": {f: t.get(f"true_driver_{f}", 0) for f in FAMILIES},
        }
