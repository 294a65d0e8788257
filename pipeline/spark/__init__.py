"""The cluster path: the featurize and label SQL run per customer bucket on Spark, and ``churn spark-score``."""
