import json

from tests.conftest import case_payload


def test_create_and_fetch_case(world):
    client = world.client("clerk")
    response = client.post(
        "/api/v1/cases", json.dumps(case_payload(world)), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "received"
    assert [d["kind"] for d in body["deadlines"]] == ["dispatch"]
    fetched = client.get(f"/api/v1/cases/{body['id']}").json()
    assert fetched["receipt_code"] == body["receipt_code"]
    listed = client.get("/api/v1/cases?q=工资").json()
    assert [c["id"] for c in listed["results"]] == [body["id"]]
