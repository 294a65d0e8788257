"""End to end: the campaign loop on a synthetic world whose team acts (generate.campaigns), with `dvc repro`.

One extra small world (the shared one has no campaigns): the generator's contacts
go through validate, the measure stage compares each campaign's contacted group
with its holdout, and the result is checked against the generator's true effect.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from mlflow.tracking import MlflowClient

from tests.e2e.conftest import N_CUSTOMERS
from tests.e2e.helpers import copy_repo, dvc, git, set_params
from tests.paths import ARTIFACTS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    path = copy_repo(tmp_path_factory.mktemp("e2e-campaigns") / "campaign repo")
    set_params(path, generate__n_customers=N_CUSTOMERS,
               generate__campaigns={"enabled": True, "top_share": 0.2, "control_share": 0.2, "reach_rate": 0.8})
    git(path, "commit", "-qam", "tiny scale, a team that acts")
    dvc(path, "repro")
    return path


def test_the_measured_interval_covers_the_true_effect_of_the_last_campaign(repo):
    results = pd.read_csv(repo / "data/campaigns/results.csv", dtype={"campaign_id": str})
    truth = pd.read_parquet(repo / "data/ground_truth/campaigns.parquet").set_index("campaign_id")
    itt = results[(results["analysis"] == "itt") & (results["segment"] == "overall")].set_index("campaign_id")
    assert set(itt.index) == set(truth.index)        # every campaign whose horizon passed is measured
    last = itt.index.max()
    true = truth.loc[last, "true_average_effect"]
    assert itt.loc[last, "difference_lower"] <= true <= itt.loc[last, "difference_upper"]
    assert (itt["n_contact"] + itt["n_holdout"]).eq(truth["n_assigned"].reindex(itt.index)).all()
    covered = (itt["difference_lower"] <= truth["true_average_effect"]) & (
        truth["true_average_effect"] <= itt["difference_upper"])
    ARTIFACTS.mkdir(exist_ok=True)   # the figures, for the record: measured against true, every campaign
    table = itt[["n_contact", "n_holdout", "difference", "difference_lower", "difference_upper", "conclusion"]].join(
        truth["true_average_effect"]).assign(covered=covered)
    (ARTIFACTS / "campaigns_measured_vs_true.csv").write_text(table.to_csv())
    assert covered.mean() >= 0.8, pd.concat([itt[["difference_lower", "difference_upper"]], truth], axis=1)
    assert {"contacted_only", "itt"} == set(results["analysis"])
    assert {"overall", "risk_tier", "action", "driver_family"} == set(results["segment"])
    metrics = json.loads((repo / "data/metrics/campaign_metrics.json").read_text())
    assert metrics["last_campaign"]["campaign_id"] == last
    assert "campaign_metrics.json" in dvc(repo, "metrics", "show").stdout


def test_no_holdout_customer_is_called_and_reruns_assign_the_same_groups(repo):
    scored = pd.read_csv(repo / "data/scored/at_risk_customers.csv", encoding="utf-8-sig")
    held = scored[scored["campaign_group"] == "holdout"]
    assert len(held) > 0 and (held["action_code"] == "HOLDOUT").all()
    assert held["recommended_action"].str.startswith("Do not contact").all()
    targeted = scored[scored["campaign_group"].notna()]
    assert set(targeted["risk_tier"]) == {"High", "Medium"}
    html = (repo / "data/reports/retention_report.html").read_text(encoding="utf-8")
    table = html.split('id="risk-table"')[1].split("</table>")[0]
    assert not any(f">{cid}<" in table for cid in held["customer_id"])
    assert "Did the last campaign work?" in html and 'id="campaign-verdict"' in html
    campaign = scored["campaign_id"].dropna().iloc[0]
    path = repo / "data/campaigns" / campaign / "assignments.parquet"
    first = pd.read_parquet(path)
    assert set(first["customer_id"]) == set(targeted["customer_id"])
    dvc(repo, "repro", "-f", "-s", "score")
    pd.testing.assert_frame_equal(pd.read_parquet(path), first)


def test_campaigns_are_in_mlflow(repo):
    run_id = json.loads((repo / "data/models/mlflow_run.json").read_text())["run_id"]
    client = MlflowClient(tracking_uri=f"sqlite:///{repo / 'mlflow.db'}")
    run = client.get_run(run_id)
    assert "campaign_difference" in run.data.metrics and run.data.metrics["campaign_n_holdout"] > 0
    assert [a.path for a in client.list_artifacts(run_id, "campaigns")
            if a.path.endswith(".csv")] == ["campaigns/results.csv"]
    campaign = run.data.tags["campaign_id"]
    assert [a.path for a in client.list_artifacts(run_id, f"campaigns/{campaign}")] == [
        f"campaigns/{campaign}/assignments.parquet"]


def test_the_truth_at_the_scoring_date_covers_every_customer_the_score_stage_scores(repo):
    """``effects_at_score`` is written for the date the score stage scores, for every customer it scores and every
    action it can recommend: the uplift bench reads the truth of the product's recommendation there."""
    truth = pd.read_parquet(repo / "data/ground_truth/effects_at_score.parquet")
    score_date = json.loads((repo / "data/features/features_meta.json").read_text())["score_date"]
    assert (truth["scored_at"].astype(str) == score_date).all()
    active = pd.read_parquet(repo / "data/labels/active_at_score.parquet")
    assert set(active["customer_id"]) == set(truth["customer_id"])
    scored = pd.read_csv(repo / "data/scored/at_risk_customers.csv", encoding="utf-8-sig")
    # every action a contact brings (not the holdout's, nor "No contact this cycle": nobody is contacted there)
    recommended = scored.loc[~scored["action_code"].isin(["HOLDOUT", "NO_CONTACT"]), ["customer_id", "action_code"]]
    found = recommended.merge(truth, on=["customer_id", "action_code"], how="left", validate="one_to_one")
    assert len(found) > 0 and found["true_effect"].notna().all()


def test_the_uplift_stage_learns_from_the_measured_campaigns_and_the_list_says_how_it_was_ranked(repo):
    metrics = json.loads((repo / "data/metrics/uplift_metrics.json").read_text())
    assert metrics["training_rows"] > 0 and metrics["campaigns_used"] >= 1
    assert metrics["validation"] == ("out_of_time" if metrics["campaigns_used"] > 1 else "out_of_fold")
    assert set(metrics["rankings"]) == {"t", "dr", "risk", "random"}
    for figures in metrics["rankings"].values():
        q, lo, hi = figures["qini"]
        assert lo <= q <= hi
    assert metrics["targeting_basis"].startswith(("uplift model (", "churn risk × value: the uplift model was no"))
    assert f"on campaign {metrics['campaign_id']}" in metrics["targeting_basis"]
    assert "uplift_metrics.json" in dvc(repo, "metrics", "show").stdout
    scored = pd.read_parquet(repo / "data/scored/at_risk_customers.parquet")
    rank_by = yaml.safe_load((repo / "params.yaml").read_text())["score"]["rank_by"]
    said = metrics["targeting_basis"]
    if metrics["use_uplift"] and rank_by != "expected_saving":   # the list says it is not ranked by the saving
        said = f"ranked by {rank_by} (score.rank_by); {said}"
    assert set(scored["targeting_basis"]) == {said}
    model = json.loads((repo / "data/models/uplift_model.json").read_text())
    assert (model["model"] is not None) == metrics["use_uplift"] == scored["expected_uplift"].notna().all()
    curves = pd.read_csv(repo / "data/plots/uplift_curves.csv")
    assert {"risk", "random", "t", "dr"} == set(curves["ranking"])
    run_id = json.loads((repo / "data/models/mlflow_run.json").read_text())["run_id"]
    run = MlflowClient(tracking_uri=f"sqlite:///{repo / 'mlflow.db'}").get_run(run_id)
    assert run.data.tags["targeting_basis"] == metrics["targeting_basis"]
    assert "uplift_qini_risk" in run.data.metrics
