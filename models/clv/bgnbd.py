"""The BG/NBD model: the field's standard baseline for non-contract churn.

Fader, Hardie and Lee (2005), "'Counting your customers' the easy way: an
alternative to the Pareto/NBD model", Marketing Science 24(2), 275-284.

Model. A customer's first purchase is at time 0. While active, the customer
buys at the times of a Poisson process with rate ``lambda``; right after each
*repeat* purchase the customer drops out for good with probability ``p``
(never right after the first one, so a customer with no repeat purchase is
always still active). Across customers ``lambda ~ Gamma(shape r, rate alpha)``
and ``p ~ Beta(a, b)``, independently. ``r`` and ``a``, ``b`` have no unit;
``alpha`` has the unit of time (``r / alpha`` is the mean purchase rate).

Inputs, one entry per customer, all in the same time unit (days in this
project, so the fitted ``alpha`` is in days):

* ``x``: number of repeat purchases (purchases after the first one);
* ``t_x``: time of the last purchase, counted from the first one (0 when ``x == 0``);
* ``T``: age of the customer at the end of the observation window, from the first purchase.

Formulas (equation numbers of the paper; ``B`` is the beta function and
``2F1`` the Gauss hypergeometric function):

* eq. 6, likelihood of one history (computed in log space with ``gammaln`` / ``betaln``)::

      L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
          + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

* P(active at T), from the denominator of eq. 10 (also Fader, Hardie and Lee 2008,
  "Computing P(alive) using the BG/NBD model")::

      P(alive) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))

* eq. 9, expected repeat purchases in (0, t] of a new customer::

      E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]

* eq. 10, expected purchases in (T, T+t] given the history: eq. 9 with the
  posterior of an active customer, ``r -> r+x``, ``alpha -> alpha+T``,
  ``b -> b+x``, times P(alive).

Eq. 9/10 are computed in ``window.py``, the fit is ``fit.py``, and ``simulate.py`` draws histories from the
model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import betaln, expit, gammaln

from models.clv.inputs import validate_history, validate_horizon
from models.clv.window import active_window_mean


@dataclass(frozen=True)
class BGNBD:
    """Fitted (or given) BG/NBD population parameters.

    Attributes:
        r: shape of the Gamma distribution of purchase rates.
        alpha: rate of that Gamma distribution, in the time unit of the data (days).
        a: first shape of the Beta distribution of dropout probabilities.
        b: second shape of that Beta distribution.
    """

    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            value = float(value)  # numpy scalars in, plain floats stored (frozen, hence object.__setattr__)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"BGNBD parameter {name} must be finite and > 0, got {value!r}")
            object.__setattr__(self, name, value)

    def log_likelihood(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Log of eq. 6, the probability (density) of each customer's history.

        Args:
            x: repeat purchases per customer.
            t_x: time of the last purchase since the first (ignored when ``x == 0``).
            T: customer age at the end of the window, since the first purchase.

        Returns:
            One log-likelihood per customer.
        """
        x, t_x, T = validate_history(x, t_x, T)
        return log_terms(self.r, self.alpha, self.a, self.b, x, t_x, T)[0]

    def p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Probability that each customer is still active at age ``T``.

        Args:
            x: repeat purchases per customer.
            t_x: time of the last purchase since the first.
            T: customer age at the end of the window.

        Returns:
            P(alive) per customer, in [0, 1]; exactly 1 when ``x == 0``.
        """
        x, t_x, T = validate_history(x, t_x, T)
        return _p_alive(self.r, self.alpha, self.a, self.b, x, t_x, T)

    def expected_purchases(self, t: float | np.ndarray, x: np.ndarray, t_x: np.ndarray,
                           T: np.ndarray) -> np.ndarray:
        """Eq. 10: expected number of purchases in ``(T, T + t]`` given each history.

        Args:
            t: horizon length (scalar, or one per customer), same unit as ``T``.
            x: repeat purchases per customer.
            t_x: time of the last purchase since the first.
            T: customer age at the end of the window.

        Returns:
            Expected purchases per customer over the horizon.
        """
        x, t_x, T = validate_history(x, t_x, T)
        t = validate_horizon(t, len(x))
        alive = _p_alive(self.r, self.alpha, self.a, self.b, x, t_x, T)
        # Posterior of an active customer: lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x).
        return alive * active_window_mean(t, self.r + x, self.alpha + T, self.a, self.b + x)

    def p_no_purchase(self, t: float | np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """P(no purchase in (T, T+t] | history): the inactivity label's probability under the model.

        A customer who dropped out buys nothing; one still active buys nothing
        with probability ``E[exp(-lambda t)]`` under the Gamma posterior of
        ``lambda`` (``r -> r+x``, ``alpha -> alpha+T``), and cannot drop out
        without buying first::

            P(none) = 1 - P(alive) + P(alive) ((alpha+T)/(alpha+T+t))^(r+x)
        """
        x, t_x, T = validate_history(x, t_x, T)
        t = validate_horizon(t, len(x))
        alive = _p_alive(self.r, self.alpha, self.a, self.b, x, t_x, T)
        stay = np.exp((self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + T + t)))
        return 1.0 - alive + alive * stay

    def expected_purchases_new(self, t: float | np.ndarray) -> np.ndarray:
        """Eq. 9: expected repeat purchases in ``(0, t]`` of a customer who first bought at 0.

        Args:
            t: window length(s), same unit as ``alpha``.

        Returns:
            E[X(t)], one value per entry of ``t``.
        """
        t = validate_horizon(t, None)
        ones = np.ones_like(t)
        return active_window_mean(t, self.r * ones, self.alpha * ones, self.a, self.b * ones)

    def to_dict(self) -> dict[str, float]:
        """The parameters as plain floats, e.g. for JSON."""
        return {k: float(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, float]) -> BGNBD:
        """Rebuild from ``to_dict`` output (extra keys are an error, as a typo would be)."""
        return cls(**{k: float(v) for k, v in d.items()})


# --- likelihood and P(alive) ------------------------------------------------

def log_terms(r: float, alpha: float, a: float, b: float, x: np.ndarray, t_x: np.ndarray,
              T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log L (eq. 6) plus its two log-terms: 'active at T' and 'dropped out after the last purchase'."""
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    alive = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    # The dropout term exists only for x > 0; x_pos keeps b + x - 1 > 0 in the masked rows.
    x_pos = np.maximum(x, 1.0)
    dead = np.where(x > 0, betaln(a + 1, b + x_pos - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return common + np.logaddexp(alive, dead), alive, dead


def _p_alive(r: float, alpha: float, a: float, b: float, x: np.ndarray, t_x: np.ndarray,
             T: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(log_odds_dead)): expit keeps it exact when the ratio over- or underflows.
    x_pos = np.maximum(x, 1.0)
    log_odds_dead = np.log(a) - np.log(b + x_pos - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, expit(-log_odds_dead), 1.0)
