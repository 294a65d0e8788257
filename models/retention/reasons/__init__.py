"""Plain-language reasons: turn SHAP contributions into sentences about the customer.

For each customer the features that push the churn risk up the most (positive
SHAP contribution in log-odds) become reasons. Each feature is matched, by its
name, against one rule per feature pattern of :mod:`features.catalog`
(``rules.py``); the rule says which template to use (wording in
``models/retention/locales/<language>/*.yaml``), which stable reason code to
give, and which renderer (``render.py``) puts the customer's own values in the
sentence ("Logins fell 64% in the last 30 days compared with the 30 before
(25 → 9)"). ``sentences.py`` fills one feature's template; ``select.py`` picks
each customer's top reasons.
"""

from models.retention.reasons.rules import RULES, ReasonRule, rule_for
from models.retention.reasons.select import top_reasons
from models.retention.reasons.sentences import render_feature

__all__ = ["RULES", "ReasonRule", "render_feature", "rule_for", "top_reasons"]
