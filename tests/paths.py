"""Where the repository under test is, and where tests leave artefacts (screenshots) for a human to look at."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
TELCO_CSV = REPO / "data/external/telco/WA_Fn-UseC_-Telco-Customer-Churn.csv"  # IBM's sample, committed
