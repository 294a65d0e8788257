"""Plain-language reasons: turn SHAP contributions into sentences about the customer.

For each customer the features that push the churn risk up the most (positive
SHAP contribution in log-odds) become reasons. Each feature is matched, by its
name, against one rule per feature pattern of :mod:`features.catalog`
(``rule_table.py``, data only; ``rules.py`` adds the fallbacks); the rule says
which template to use (wording in ``models/retention/locales/<language>/*.yaml``),
which stable reason code to give, and which renderer of ``render.py``, by name,
puts the customer's own values in the sentence ("Logins fell 64% in the last 30
days compared with the 30 before (25 → 9)"). ``sentences.py`` fills one feature's
template; ``select.py`` picks each customer's top reasons.

The package imports nothing itself, so that ``labels.py`` can read the rule table
without running the renderers, which read the labels.
"""
