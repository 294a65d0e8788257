"""SHAP explanations of the churn model, in log-odds.

``native.py`` LightGBM's path-dependent TreeSHAP (and shap's, for comparison);
``treeshap.py`` the exact interventional TreeSHAP engine against reference rows
(shap refuses background data with categorical splits), with ``trees.py`` the
booster's trees and LightGBM's decision rule and ``tables.py`` each tree's
contributions against the reference as lookup tables; ``reference.py`` the
reference groups each customer is compared with; ``blend.py`` the linear part's
share of a blended model; ``importance.py`` global importance per feature and family.
"""
