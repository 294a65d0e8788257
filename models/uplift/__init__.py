"""The effect of a contact, learnt from the campaigns' random holdouts (issue 26).

``learners``: cross-fitted T- and DR-learners over LightGBM; ``metrics``: Qini, AUUC, uplift at depth and the
profit curve with bootstrap intervals; ``select``: which ranking to trust, and the sentence that says why;
``rows``: the training rows of the measured campaigns. Everything here is pure (frames in, frames out).

Sign convention everywhere: ``expected_uplift`` is the estimated FALL in churn probability if the customer is
contacted, so ``expected_uplift > 0`` means a contact helps and ``< 0`` a contact pushes the customer to leave.
"""
