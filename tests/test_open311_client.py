"""Open311 endpoints driven over real HTTP by an independent client: the `georeport` package
from PyPI (Apache-2.0), in both of its formats. georeport does not post requests, so posting is
done with `requests`, the HTTP library georeport itself uses (docs/decisions/0020-open311.md)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from georeport import GeoReport

from civicdesk.open311.services import api_client_issue
from tests.conftest import World

JURISDICTION = "civicdesk.local"


@pytest.fixture
def served(transactional_db: Any, live_server: Any, world: World) -> dict[str, str]:
    """The test county behind a live server, with one client key for the county."""
    _client, key = api_client_issue(name="City app", area_code=world.county.code)
    return {"root": live_server.url + "/open311/v2", "key": key}


def post_request(served: dict[str, str], **form: str) -> str:
    response = requests.post(
        served["root"] + "/requests.json",
        data={
            "api_key": served["key"],
            "jurisdiction_id": JURISDICTION,
            "service_code": "HAZ-FIRE",
            "attribute[hazard_level]": "major",
            "description": "出租屋楼道里给电动车充电，电线拖在地上",
            "address_string": "东门社区幸福路8号",
            **form,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()[0]["service_request_id"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_and_definition(served: dict[str, str], fmt: str) -> None:
    client = GeoReport(served["root"], jurisdiction=JURISDICTION, output_format=fmt)
    services = {service["service_code"]: service for service in client.get_service_list()}
    assert services["HAZ-FIRE"]["service_name"] == "出租房消防隐患"
    assert str(services["HAZ-FIRE"]["metadata"]).lower() == "true"
    definition = client.get_service_definition("HAZ-FIRE")
    attributes = definition["attributes"]
    if fmt == "xml":  # xmltodict: <attributes><attribute>..</attribute></attributes>
        attributes = attributes["attribute"]
    assert attributes[0]["code"] == "hazard_level"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_posted_request_is_read_back(served: dict[str, str], fmt: str) -> None:
    code = post_request(served)
    client = GeoReport(served["root"], jurisdiction=JURISDICTION, output_format=fmt)
    request = client.get_service_request(code)
    assert request["service_request_id"] == code
    assert request["status"] == "open"
    assert request["service_code"] == "HAZ-FIRE"
    assert request["address"] == "东门社区幸福路8号"
    listed = client.get_service_requests(service_request_id=code, status="open")
    if fmt == "xml" and isinstance(listed, dict):  # xmltodict gives one <request> as a dict
        listed = [listed]
    assert [item["service_request_id"] for item in listed] == [code]


def test_the_client_sees_the_standards_errors(served: dict[str, str]) -> None:
    client = GeoReport(served["root"], jurisdiction=JURISDICTION)
    with pytest.raises(requests.HTTPError) as missing:
        client.get_service_definition("NOPE")
    assert missing.value.response.status_code == 404
    assert missing.value.response.json()[0]["code"] == 404
    elsewhere = GeoReport(served["root"], jurisdiction="sfgov.org")
    with pytest.raises(requests.HTTPError):
        elsewhere.get_service_list()
    refused = requests.post(
        served["root"] + "/requests.xml", data={"service_code": "HAZ-FIRE"}, timeout=10
    )
    assert refused.status_code == 403
    assert b"<errors><error><code>403</code>" in refused.content
