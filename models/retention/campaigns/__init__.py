"""Campaigns: who a campaign contacts and who it holds out, and what the holdout says it achieved.

``assign.py`` draws the control group (stratified, by a hash of customer and campaign);
``stats.py`` holds the two-proportion statistics (Newcombe's interval, the sample size);
``measure.py`` turns contacts and outcomes into the results table, overall and per segment.
"""
