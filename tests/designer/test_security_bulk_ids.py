"""Bulk actions of the runs list and the inbox: ids that name nothing are no 500."""

import pytest

pytestmark = pytest.mark.django_db

NOT_IDS = ["9" * 30, "²", "١٢"]  # beyond 64 bits; a digit int() refuses; non-ASCII digits


@pytest.mark.parametrize("value", NOT_IDS)
def test_the_runs_list_bulk_action_refuses_ids_that_name_nothing(admin_user_client, value):
    answer = admin_user_client.post("/runs/bulk/", {"action": "cancel", "run": [value]})
    assert answer.status_code == 302
    page = admin_user_client.get(answer["Location"])
    assert "Select the runs first." in page.content.decode()


@pytest.mark.parametrize("value", NOT_IDS)
def test_the_inbox_bulk_claim_refuses_ids_that_name_nothing(admin_user_client, value):
    answer = admin_user_client.post("/inbox/claim/", {"workitem": [value]})
    assert answer.status_code == 302
    page = admin_user_client.get(answer["Location"])
    assert "Select the tasks to claim first." in page.content.decode()


def test_a_task_action_with_a_huge_expected_version_is_no_500(admin_user_client):
    answer = admin_user_client.post("/inbox/1/claim/", {"version": "9" * 30})
    assert answer.status_code == 404
