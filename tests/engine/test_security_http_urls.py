"""An HTTP task's URL: run data fills the path and the query, never the host.

Run data comes from whoever starts a run, a signal or a record: a URL such as
``https://{data.host}/hook`` would let them choose where the request (and its
secret headers) goes. Such URLs are refused with WM130, from every door.
"""

from __future__ import annotations

import pytest
import yaml

from engine.core import http_templates
from engine.errors import ValidationFailed
from engine.services import definitions as svc
from tests.engine.test_http_task_doors import FILE

pytestmark = pytest.mark.django_db

REFUSED = [
    "https://{data.host}/hook",
    "https://{data.host}",
    "https://api.example.com{data.suffix}/x",
    "https://api.example.com:{data.port}/x",
    "https://{data.user}@api.example.com/x",
]
ACCEPTED = [
    "https://crm.example.com/contacts/{data.contact_id}",
    "https://crm.example.com/search?q={data.q}",
    "https://crm.example.com:8443/{data.a}/{data.b}#{data.c}",
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_placeholder_before_the_path_is_refused(url):
    problem = http_templates.url_problem(url)
    assert problem and "not the scheme, host or port" in problem


@pytest.mark.parametrize("url", ACCEPTED)
def test_placeholders_in_the_path_and_query_are_fine(url):
    assert http_templates.url_problem(url) is None


def test_a_file_whose_url_lets_the_data_choose_the_host_does_not_publish():
    data = yaml.safe_load(FILE)
    data["activities"][1]["http_url"] = "https://{data.host}/contacts"
    with pytest.raises(ValidationFailed) as caught:
        svc.import_definition(data, publish_it=True)
    assert "WM130" in {p.code for p in caught.value.problems}
