"""The customer-value model: BG/NBD, the buy-till-you-die model of a non-contract business, and the spend model
built on it (expected spend = expected active days x spend per active day).

Both the evaluation (BG/NBD as a baseline, the profit curve's value) and the score stage (the value at risk of a
retailer) read it; it reads neither.
"""
