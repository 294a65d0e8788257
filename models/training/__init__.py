"""Training the churn model: out-of-time splits, LightGBM, the linear part and the calibrator."""
