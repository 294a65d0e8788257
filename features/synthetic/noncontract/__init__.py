"""A seeded, vectorised synthetic *non-contract* (retail) business with a known truth.

Customers never cancel: they stop buying. The pipeline labels them with
``label.mode: inactivity`` (no activity event in ``(D, D + H]``), and this world
writes down the exact probability of that label.

Model of the world
------------------
* Every customer makes a first purchase (the signup; ``signup_date`` is its
  date) between ``start_date`` and ``end_date`` (a growing business, quieter
  weekends); ids ``R0000001``... follow the first-purchase order. Static
  attributes: ``channel``, ``region``, ``loyalty_member`` and
  ``favourite_colour`` (no effect at all). There is no ``churn_date``.
* Repeat buying is BG/NBD exactly: ``lambda ~ Gamma(r, rate alpha)`` purchases
  a day, ``p ~ Beta(a, b)``; while alive, purchases are a Poisson process of
  rate ``lambda`` (uniform in time); right after each repeat purchase the
  customer dies with probability ``p``. Each purchase is a ``purchase`` event
  (value = amount, log-normal around a customer's own median) and an ``items``
  event (value = item count) at the same second.
* Behavioural drivers (scaled by ``config.behaviour``) add a death hazard at
  every week boundary (the start of day ``7 k``), so a customer can also leave
  between purchases. Its logit is additive with one term per family, each read
  from the data before the boundary (``hazard.py``):

  ============  ==========================================================================
  engagement    days since the last ``email_open`` (a lapse beyond 2 weeks raises it, fully at 8)
  tenure        early life, fading over the first weeks after the first purchase
  complaints    tickets of the last 8 weeks: slow resolution (> 72 h), low satisfaction, still open
  billing       a ``price_change`` notice in the last 8 weeks, by the size of the increase
  attributes    channel, region, loyalty membership
  ============  ==========================================================================

* Passive data, identical whether the customer is still alive or not (so it
  says nothing about being alive except through the hazard, and the
  ``behaviour = 0`` world is pure BG/NBD for every observable): newsletter opens
  (``email_open``, Poisson by a latent engagement that follows a mean-reverting
  walk with drift-down episodes), price notices (``price_change``, value = the
  region's new price level, to every customer of the region who signed up
  before the date) and tickets about orders (``delivery`` for most bad deliveries,
  whose rate depends on the region, ``return`` and ``product_question`` for a
  few other orders; filed within days of the order, even by a customer who has
  just decided to leave). Purchases and items stop at the death; the passive
  events and tickets can come after it.

Event types: ``purchase`` and ``items`` are the activity; ``email_open`` and
``price_change`` are passive (``PASSIVE_EVENT_TYPES``): list them in
``featurize.passive_event_types`` so that "no activity in the horizon" means "no
purchase in the horizon".

Ground truth
------------
* ``oracle``: for every cutoff D and every customer eligible at D (first
  purchase by D and a purchase in the 90 days up to and including D),
  ``oracle_probability`` = P(no purchase in (D, D + H] | the tables up to the end
  of day D, the true population parameters and hazards): the exact Bayes
  posterior predictive (derivation in ``oracle.py``), with the horizon's
  hazards held at the state at D (the early-life term advances with tenure).
* ``drivers``: for every customer who died, the family with the largest
  contribution to the hazard at the death boundary; ``usage`` for a BG/NBD
  dropout at a purchase.
* ``drivers_at_cutoff``: per oracle row the six contributions and
  ``true_driver`` (``oracle.py``: usage is the log-odds of not being alive under
  pure BG/NBD; the reference is the mean over the same channel).

Determinism: chunk ``i`` draws from ``np.random.default_rng([seed, i])`` and the
first purchases from a separate stream, so the output does not depend on the
number of workers. Where things live: ``config.py`` knobs and coefficients,
``world.py`` calendar and chunk state, ``hazard.py`` the weekly hazard,
``activity.py`` the weekly steps, ``oracle.py`` the truth, ``simulate.py`` the
loop, ``tables.py`` the Arrow tables; what both worlds share in
``features/synthetic/core/``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import date

import pyarrow as pa

from features.catalog import FAMILIES
from features.synthetic.core.chunks import chunk_results
from features.synthetic.core.simulation import WorldSimulation
from features.synthetic.core.tables import RAW_TABLES, ROWS_PER_GROUP, TRUTH_TABLES, id_width
from features.synthetic.noncontract.config import (
    ACTIVITY_EVENT_TYPES,
    CHANNELS,
    COLOURS,
    EVENT_TYPES,
    NO_EFFECT_ATTRIBUTES,
    PASSIVE_EVENT_TYPES,
    REGIONS,
    TICKET_CATEGORIES,
    NonContractConfig,
)
from features.synthetic.noncontract.simulate import simulate_chunk
from features.synthetic.noncontract.tables import SCHEMAS, chunk_stats, chunk_tables
from features.synthetic.noncontract.world import first_purchase_seconds, make_world

logger = logging.getLogger(__name__)

__all__ = [
    "NonContractConfig",
    "NonContractSimulation",
    "EVENT_TYPES",
    "ACTIVITY_EVENT_TYPES",
    "PASSIVE_EVENT_TYPES",
    "TICKET_CATEGORIES",
    "CHANNELS",
    "REGIONS",
    "COLOURS",
    "NO_EFFECT_ATTRIBUTES",
    "RAW_TABLES",
    "TRUTH_TABLES",
    "SCHEMAS",
    "ROWS_PER_GROUP",
]


class NonContractSimulation(WorldSimulation):
    """One non-contract world: its tables chunk by chunk, then a summary.

    Args:
        config: the world's knobs.
        cutoffs: observation dates (end of day) of the truth tables; those outside the period are ignored.
        horizon_days: label horizon H of the oracle, no purchase in (D, D + H].
    """

    def __init__(self, config: NonContractConfig, cutoffs: Sequence[date], horizon_days: int) -> None:
        super().__init__(config, cutoffs, horizon_days, make_world)

    def tables(self) -> Iterator[tuple[str, pa.Table]]:
        """Yield ``(table name, rows)`` chunk by chunk (names of ``RAW_TABLES`` and ``TRUTH_TABLES``).

        Returns:
            An iterator; memory stays bounded by one chunk and rows of a table come in customer-id order
            (the truth tables by cutoff, then customer, within a chunk).
        """
        cfg = self.config
        logger.info("generating %d non-contract customers from %s to %s (seed %d, behaviour %g, %d cutoffs, "
                    "horizon %d d)", cfg.n_customers, cfg.start_date, cfg.end_date, cfg.seed, cfg.behaviour,
                    len(self.cutoff_days), self.horizon_days)
        t1_sec = first_purchase_seconds(cfg, self.world.n_days)
        width = id_width(cfg.n_customers)
        self.totals = {}
        for first, res in chunk_results(simulate_chunk, cfg, self.world, t1_sec, self.cutoff_days, self.horizon_days):
            yield from chunk_tables(res, first, width, self.world)
            stats = chunk_stats(res)
            self.add_totals(stats)
            logger.info("chunk from customer %d: %d events, %d died", first, stats["n_events"], stats["n_dead"])

    def summary(self) -> dict:
        """Counts of the world written by :meth:`tables` (call it after the tables are consumed).

        Returns:
            Rows per table, deaths (at a purchase and between purchases), purchases per customer, the
            mean oracle probability, events by type, dominant drivers and true drivers at the cutoffs.
        """
        t = self.totals
        n_rows = t.get("n_oracle_rows", 0)
        return {
            "n_customers": t["n_customers"],
            "n_events": t["n_events"],
            "n_tickets": t["n_tickets"],
            "n_dead": t["n_dead"],
            "n_dead_at_purchase": t["n_dead_at_purchase"],
            "n_dead_between_purchases": t["n_dead"] - t["n_dead_at_purchase"],
            "n_oracle_rows": n_rows,
            "mean_oracle_probability": t["oracle_sum"] / n_rows if n_rows else 0.0,
            "purchases_per_customer": t["n_purchases"] / max(1, t["n_customers"]),
            "events_by_type": {e: t[f"events_{e}"] for e in EVENT_TYPES},
            "dominant_drivers": {f: t[f"driver_{f}"] for f in FAMILIES},
            "true_drivers_at_cutoff": {f: t[f"true_driver_{f}"] for f in FAMILIES},
        }
