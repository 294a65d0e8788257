"""``churn init``: the params an export folder calls for, each with the reason, derived from the data's own summaries.

The pure derivations live here (tested on tiny frames); ``pipeline/init.py`` reads the folder, hands them the
summaries and writes ``params.yaml``.
"""
