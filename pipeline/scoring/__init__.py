"""The scored list, made once for the score stage and ``churn spark-score``: the recipe and the campaign it starts."""
