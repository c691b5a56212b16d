"""Every list endpoint takes page, page_size and ordering, and says so in the OpenAPI schema."""

from __future__ import annotations

from tests.engine.conftest import deploy


def test_every_list_in_the_schema_takes_page_size_and_ordering(api):
    schema = api("pat").get("/api/v1/schema/?format=json").json()
    lists = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        ok = get["responses"].get("200", {}).get("content", {}).get("application/json", {})
        ref = ok.get("schema", {}).get("$ref", "")
        if not ref.split("/")[-1].startswith("Paginated"):
            continue
        lists.append(path)
        names = {p["name"] for p in get.get("parameters", []) if p["in"] == "query"}
        assert {"page", "page_size", "ordering"} <= names, path
    assert len(lists) >= 10, lists


def test_elements_and_triggers_lists_order_as_asked(api, wm):
    deploy(
        [{"key": "b", "kind": "human", "name": "Bee"}, {"key": "a", "kind": "human", "name": "Ay"}],
        ["start > b", "b > a", "a > end"],
        code="order",
    )
    client = api("pat")
    base = "/api/v1/processes/order/versions/1"
    keys = [r["key"] for r in client.get(f"{base}/activities/?ordering=key").json()["results"]]
    assert keys == sorted(keys)
    keys = [r["key"] for r in client.get(f"{base}/activities/?ordering=-name").json()["results"]]
    assert keys[:2] == ["start", "end"]  # Start, End, Bee, Ay
    page = client.get(f"{base}/transitions/?ordering=-key&page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2
    assert client.get(f"{base}/triggers/?ordering=kind").status_code == 200
    refused = client.get(f"{base}/activities/?ordering=handler")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == "ordering"
