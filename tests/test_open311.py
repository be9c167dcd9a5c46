"""Open311 GeoReport v2 (/open311/v2/): every JSON body is checked against the standard's JSON
Schemas (tests/fixtures/open311), XML bodies are parsed and checked for the same fields."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from civicdesk.cases.choices import Channel, Priority
from civicdesk.cases.models import Case, CaseParty, Category
from civicdesk.open311.models import Open311Request
from civicdesk.open311.services import api_client_issue
from civicdesk.organization.geo import clear_area_index
from civicdesk.organization.models import Area
from tests.conftest import World
from tests.helpers import act_ok, create_case, drive_to

SCHEMAS = Path(__file__).parent / "fixtures" / "open311"
BASE = "/open311/v2"
INSIDE_GRID = {"lat": "30.2", "long": "120.2"}
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "lat",
    "long",
    "media_url",
]


def _registry() -> Registry:
    resources = [
        (
            path.name,
            Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT7),
        )
        for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


def validate(body: Any, schema_name: str) -> None:
    schema = json.loads((SCHEMAS / schema_name).read_text())
    Draft7Validator(schema, registry=_registry()).validate(body)
    for item in body if isinstance(body, list) else []:
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            if item.get(name):
                assert dt.datetime.fromisoformat(item[name]).tzinfo is not None, item[name]


def parse_xml(content: bytes) -> ET.Element:
    # Our own server's answer, in a test: no entity tricks to defend against here.
    return ET.fromstring(content)  # noqa: S314


def xml_items(response: Any, root: str, item: str) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    tree = parse_xml(response.content)
    assert tree.tag == root
    return [{child.tag: child.text or "" for child in element} for element in tree.findall(item)]


def json_body(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def error_descriptions(response: Any, status: int) -> list[str]:
    body = json_body(response, status)
    assert all(set(error) == {"code", "description"} for error in body)
    return [error["description"] for error in body]


def square(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


class Setup:
    def __init__(self, world: World) -> None:
        self.world = world
        self.client = Client()
        _client, self.key = api_client_issue(name="City app", area_code=world.county.code)

    def post(self, fmt: str = "json", **form: str) -> Any:
        data = {"api_key": self.key, **form}
        return self.client.post(f"{BASE}/requests.{fmt}", data)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"{BASE}/{path}", params)

    def create(self, service_code: str = "REQ-WAGE", **form: str) -> str:
        fields = {
            "service_code": service_code,
            "description": "小区门口路灯坏了一个月",
            "first_name": "三",
            "last_name": "张",
            "phone": "13812345678",
            **INSIDE_GRID,
            **form,
        }
        body = json_body(self.post(**fields))
        return str(body[0]["service_request_id"])


@pytest.fixture
def o311(world: World) -> Setup:
    clear_area_index()
    for area, polygon in [
        (world.county, square(120.0, 30.0, 121.0, 31.0)),
        (world.town_a, square(120.0, 30.0, 120.5, 30.5)),
        (world.village_a, square(120.1, 30.1, 120.3, 30.3)),
        (world.grid_a, square(120.15, 30.15, 120.25, 30.25)),
        (world.town_b, square(120.5, 30.5, 121.0, 31.0)),
    ]:
        area.polygon = polygon
        area.save()
    parent = Category.objects.create(
        code="ENV", name_zh="环境卫生", name_en="Environment", case_type="complaint"
    )
    Category.objects.filter(code="CMP-NOISE").update(parent=parent)
    Category.objects.filter(code="INC-FIRE").update(public=False)
    return Setup(world)


# --- discovery and services ----------------------------------------------------------------


def test_discovery_names_the_endpoint_and_its_formats(o311: Setup) -> None:
    body = json_body(o311.get("discovery.json"))
    endpoint = body["endpoints"][0]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    tree = parse_xml(o311.get("discovery.xml").content)
    formats = [f.text for f in tree.findall("endpoints/endpoint/formats/format")]
    assert set(formats) == {"text/xml", "application/json"}


def test_services_list_public_categories_in_chinese_by_default(o311: Setup) -> None:
    body = json_body(o311.get("services.json"))
    validate(body, "services.json")
    by_code = {service["service_code"]: service for service in body}
    assert "INC-FIRE" not in by_code  # not offered to residents
    assert by_code["REQ-WAGE"]["service_name"] == "工资拖欠"
    assert by_code["REQ-WAGE"]["metadata"] is False
    assert by_code["HAZ-FIRE"]["metadata"] is True
    assert by_code["CMP-NOISE"]["group"] == "环境卫生"
    assert by_code["CMP-NOISE"]["type"] == "realtime"
    assert "Noise nuisance" in by_code["CMP-NOISE"]["keywords"]


@pytest.mark.parametrize(
    "params, headers",
    [({"locale": "en"}, {}), ({}, {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"})],
)
def test_services_in_english(o311: Setup, params: dict[str, str], headers: dict[str, str]) -> None:
    body = json_body(o311.client.get(f"{BASE}/services.json", params, **headers))
    by_code = {service["service_code"]: service for service in body}
    assert by_code["REQ-WAGE"]["service_name"] == "Wage arrears"
    assert by_code["CMP-NOISE"]["group"] == "Environment"


def test_services_as_xml(o311: Setup) -> None:
    items = xml_items(o311.get("services.xml"), "services", "service")
    haz = next(item for item in items if item["service_code"] == "HAZ-FIRE")
    assert haz["metadata"] == "true" and haz["type"] == "realtime"
    assert haz["service_name"] == "出租房消防隐患"


def test_service_definition_of_a_hazard(o311: Setup) -> None:
    body = json_body(o311.get("services/HAZ-FIRE.json"))
    validate(body, "service-definition.json")
    level = next(a for a in body["attributes"] if a["code"] == "hazard_level")
    assert level["datatype"] == "singlevaluelist" and level["required"] is True
    assert [v["key"] for v in level["values"]] == ["general", "major"]
    tree = parse_xml(o311.get("services/HAZ-FIRE.xml").content)
    assert tree.tag == "service_definition"
    keys = [k.text for k in tree.findall("attributes/attribute/values/value/key")]
    assert keys[:2] == ["general", "major"]


def test_unknown_service_is_404_in_both_formats(o311: Setup) -> None:
    assert "service_code" in error_descriptions(o311.get("services/NOPE.json"), 404)[0]
    response = o311.get("services/INC-FIRE.xml")  # exists but not public
    assert response.status_code == 404
    tree = parse_xml(response.content)
    assert tree.tag == "errors" and tree.find("error/code").text == "404"  # type: ignore[union-attr]


# --- jurisdictions -------------------------------------------------------------------------


def test_another_jurisdiction_is_404(o311: Setup) -> None:
    assert error_descriptions(o311.get("services.json", jurisdiction_id="sfgov.org"), 404)
    response = o311.post(service_code="REQ-WAGE", jurisdiction_id="sfgov.org", **INSIDE_GRID)
    assert error_descriptions(response, 404)
    assert o311.get("requests.json", jurisdiction_id="sfgov.org").status_code == 404


def test_the_served_jurisdiction_may_be_named_or_left_out(o311: Setup) -> None:
    assert o311.get("services.json", jurisdiction_id="civicdesk.local").status_code == 200
    assert o311.get("services.json").status_code == 200


def test_several_jurisdictions_require_jurisdiction_id(o311: Setup) -> None:
    api_client_issue(name="Town app", area_code=o311.world.town_b.code, jurisdiction_id="xs.gov")
    problems = error_descriptions(o311.get("services.json"), 400)
    assert problems[0].startswith("jurisdiction_id:")
    assert o311.get("services.json", jurisdiction_id="xs.gov").status_code == 200
    # A key serves its own jurisdiction only.
    response = o311.post(jurisdiction_id="xs.gov", service_code="REQ-WAGE", **INSIDE_GRID)
    assert response.status_code == 403


# --- POST requests -------------------------------------------------------------------------


def test_post_creates_a_case_routed_by_polygon(o311: Setup) -> None:
    response = o311.post(
        service_code="REQ-WAGE",
        description="某公司拖欠工资三个月，多次讨要未果。\n第二行",
        first_name="三",
        last_name="张",
        phone="13812345678",
        address_string="东门社区幸福路8号",
        media_url="https://example.org/photo.jpg",
        account_id="acc-1",
        email="zhang@example.org",
        device_id="dev-1",
        **INSIDE_GRID,
    )
    body = json_body(response)
    assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    assert body[0]["account_id"] == "acc-1"
    case = Case.objects.get(receipt_code=body[0]["service_request_id"])
    assert case.channel == Channel.OPEN311
    assert case.area == o311.world.grid_a
    assert case.title == "某公司拖欠工资三个月，多次讨要未果。"
    assert (case.latitude, case.longitude) == (30.2, 120.2)
    assert case.created_by == case.open311.client.user
    party = case.parties.get()
    assert (party.name, party.phone, party.anonymous) == ("张三", "13812345678", False)
    assert case.open311.media_url == "https://example.org/photo.jpg"
    # The staff API shows the same case to the county's clerk.
    staff = o311.world.client("clerk").get(f"/api/v1/cases/{case.pk}").json()
    assert staff["channel"] == "open311" and staff["area"] == o311.world.grid_a.code


def test_post_answers_in_xml(o311: Setup) -> None:
    response = o311.post(
        "xml",
        service_code="REQ-WAGE",
        description="路灯坏了",
        first_name="Li",
        last_name="Wei",
        **INSIDE_GRID,
    )
    items = xml_items(response, "service_requests", "request")
    assert Case.objects.filter(receipt_code=items[0]["service_request_id"]).exists()
    assert items[0]["account_id"] == ""


def test_a_location_in_no_boundary_goes_to_the_default_area(o311: Setup) -> None:
    code = o311.create(lat="39.9", long="116.4")
    assert Case.objects.get(receipt_code=code).area == o311.world.county
    code = o311.create(lat="", long="", address_string="县城东门路口")
    case = Case.objects.get(receipt_code=code)
    assert (case.area, case.address, case.latitude) == (o311.world.county, "县城东门路口", None)


def test_a_location_outside_the_keys_area_is_refused(o311: Setup) -> None:
    _client, key = api_client_issue(name="East app", area_code=o311.world.town_a.code)
    before = Case.objects.count()
    response = o311.client.post(
        f"{BASE}/requests.json",
        {
            "api_key": key,
            "service_code": "REQ-WAGE",
            "description": "x",
            "first_name": "a",
            "lat": "30.7",
            "long": "120.7",
        },
    )
    assert error_descriptions(response, 400)[0].startswith("lat/long:")
    assert Case.objects.count() == before


@pytest.mark.parametrize(
    "form, field",
    [
        ({"lat": "", "long": ""}, "lat/long"),
        ({"lat": "abc"}, "lat/long"),
        ({"lat": "95", "long": "120"}, "lat/long"),
        ({"long": ""}, "lat/long"),
        ({"lat": "", "long": "", "address_id": "545483"}, "address_id"),
        ({"description": ""}, "description"),
        ({"description": "长" * 4001}, "description"),
        ({"first_name": "", "last_name": ""}, "first_name"),
        ({"phone": "12"}, "phone"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"first_name": "x" * 10_000}, "first_name"),
        ({"attribute[colour]": "red"}, "attribute[colour]"),
        ({"attribute[": "x"}, "attribute["),
    ],
)
def test_bad_input_is_400_naming_the_parameter(
    o311: Setup, form: dict[str, str], field: str
) -> None:
    fields = {
        "service_code": "REQ-WAGE",
        "description": "路灯坏了",
        "first_name": "三",
        "last_name": "张",
        **INSIDE_GRID,
        **form,
    }
    problems = error_descriptions(o311.post(**fields), 400)
    assert any(problem.startswith(field) for problem in problems), problems
    assert not Case.objects.exists()


def test_service_code_is_required_and_must_exist(o311: Setup) -> None:
    assert error_descriptions(o311.post(**INSIDE_GRID), 400)[0].startswith("service_code")
    assert o311.post(service_code="NOPE", **INSIDE_GRID).status_code == 404


def test_hazard_level_is_validated_against_the_definition(o311: Setup) -> None:
    base = {"service_code": "HAZ-FIRE", "description": "出租屋楼道堆放电动车充电", **INSIDE_GRID}
    missing = error_descriptions(o311.post(**base), 400)
    assert any(p.startswith("attribute[hazard_level]:") for p in missing)
    wrong = error_descriptions(o311.post(**base, **{"attribute[hazard_level]": "huge"}), 400)
    # The default language is zh-Hans; the field name and the choices stay as sent.
    assert wrong == ["attribute[hazard_level]: 请从以下选项中选择：general, major。"]
    two = o311.post(**base, **{"attribute[hazard_level][]": ["general", "major"]})
    assert error_descriptions(two, 400)[0].startswith("attribute[hazard_level]:")
    assert not Case.objects.exists()
    code = str(
        json_body(o311.post(**base, **{"attribute[hazard_level]": "major"}))[0][
            "service_request_id"
        ]
    )
    case = Case.objects.get(receipt_code=code)
    assert case.priority == Priority.URGENT
    assert case.open311.attributes == {"hazard_level": "major"}
    # No contact given on a hazard: an anonymous report, which the law allows for hazards.
    assert case.parties.get().anonymous is True


def test_anonymous_attribute_drops_the_name(o311: Setup) -> None:
    code = o311.create("CMP-NOISE", **{"attribute[anonymous]": "yes"})
    party = Case.objects.get(receipt_code=code).parties.get()
    assert (party.anonymous, party.name, party.phone) == (True, "", "")


def test_a_request_without_a_key_is_403_and_writes_nothing(o311: Setup) -> None:
    form = {"service_code": "REQ-WAGE", "description": "x", "first_name": "a", **INSIDE_GRID}
    no_key = o311.client.post(f"{BASE}/requests.json", form)
    assert "api_key" in error_descriptions(no_key, 403)[0]
    bad_key = o311.client.post(f"{BASE}/requests.xml", {**form, "api_key": "o311_wrong"})
    assert bad_key.status_code == 403
    assert parse_xml(bad_key.content).find("error/code").text == "403"  # type: ignore[union-attr]
    assert not Case.objects.exists() and not Open311Request.objects.exists()


def test_a_deactivated_key_is_refused(o311: Setup) -> None:
    from civicdesk.open311.models import ApiClient

    ApiClient.objects.update(active=False)
    response = o311.post(service_code="REQ-WAGE", description="x", first_name="a", **INSIDE_GRID)
    assert response.status_code == 403


# --- GET requests --------------------------------------------------------------------------


def test_get_request_shows_public_fields(o311: Setup) -> None:
    code = o311.create(media_url="https://example.org/a.jpg", address_string="幸福路8号")
    body = json_body(o311.get(f"requests/{code}.json"))
    validate(body, "requests.json")
    request = body[0]
    assert request["service_request_id"] == code and request["status"] == "open"
    assert request["service_code"] == "REQ-WAGE" and request["service_name"] == "工资拖欠"
    assert (request["lat"], request["long"]) == (30.2, 120.2)
    assert request["media_url"] == "https://example.org/a.jpg"
    assert request["address"] == "幸福路8号"
    assert request["expected_datetime"] is None  # no handling clock before dispatch
    items = xml_items(o311.get(f"requests/{code}.xml"), "service_requests", "request")
    assert list(items[0]) == REQUEST_FIELDS
    assert items[0]["service_request_id"] == code and items[0]["lat"] == "30.2"
    assert o311.get(f"requests/{code.lower()}.json").status_code == 200  # typed from paper


def test_expected_datetime_is_the_running_handling_clock(o311: Setup) -> None:
    case_id = drive_to(o311.world, "in_progress")
    case = Case.objects.get(pk=case_id)
    body = json_body(o311.get(f"requests/{case.receipt_code}.json"))
    due = case.clocks.get(kind="handling", state="running").due_at
    assert dt.datetime.fromisoformat(body[0]["expected_datetime"]) == due
    assert body[0]["agency_responsible"] == "县人社局"
    assert (
        json_body(o311.get(f"requests/{case.receipt_code}.json", locale="en"))[0][
            "agency_responsible"
        ]
        == "县人社局"
    )  # no English name recorded: the Chinese one


def test_personal_data_never_appears(o311: Setup) -> None:
    staff_case = create_case(
        o311.world,
        parties=[{"role": "requester", "name": "王秀英", "phone": "13987654321", "id_number": ""}],
    )
    act_ok(o311.world, staff_case["id"], "accept")
    code = o311.create(
        first_name="建国",
        last_name="李",
        phone="13711112222",
        email="li@example.org",
        device_id="device-xyz",
        account_id="acct-77",
    )
    for path in (
        "requests.json",
        "requests.xml",
        f"requests/{code}.json",
        f"requests/{staff_case['receipt_code']}.xml",
    ):
        text = o311.get(path).content.decode()
        for secret in (
            "王秀英",
            "13987654321",
            "李建国",
            "13711112222",
            "li@example.org",
            "device-xyz",
            "acct-77",
            "clerk",
            "open311-",
        ):
            assert secret not in text, (path, secret)


@pytest.mark.parametrize(
    "status, public",
    [
        ("received", "open"),
        ("dispatched", "open"),
        ("replied", "open"),
        ("closed", "closed"),
        ("not_accepted", "closed"),
        ("redirected", "closed"),
        ("merged", "closed"),
    ],
)
def test_status_mapping(o311: Setup, status: str, public: str) -> None:
    case = Case.objects.get(pk=drive_to(o311.world, status, channel="open311"))
    request = json_body(o311.get(f"requests/{case.receipt_code}.json"))[0]
    assert request["status"] == public
    if status == "closed":
        assert "经调查，企业已支付全部拖欠工资。" in request["status_notes"]
        assert dt.datetime.fromisoformat(request["updated_datetime"]) == case.closed_at
    if status == "merged":
        assert case.merged_into is not None
        assert case.merged_into.receipt_code in request["status_notes"]


def test_cases_told_to_the_centre_publish_status_but_not_the_residents_words(
    o311: Setup,
) -> None:
    case = Case.objects.get(pk=drive_to(o311.world, "closed", channel="walk_in"))
    request = json_body(o311.get(f"requests/{case.receipt_code}.json"))[0]
    assert request["status"] == "closed"
    assert request["service_code"] == case.category.code
    assert request["agency_responsible"]
    for field in ("description", "address", "lat", "long"):
        assert request.get(field) is None, field
    assert "经调查" not in request["status_notes"]
    assert case.description not in json.dumps(request, ensure_ascii=False)


def test_filters_ids_service_code_and_status(o311: Setup) -> None:
    wage = o311.create()
    noise = o311.create("CMP-NOISE")
    closed = Case.objects.get(pk=drive_to(o311.world, "closed")).receipt_code

    def codes(**params: Any) -> set[str]:
        body = json_body(o311.get("requests.json", **params))
        validate(body, "requests.json")
        return {item["service_request_id"] for item in body}

    assert codes() == {wage, noise, closed}
    assert codes(service_request_id=f"{wage},{noise}") == {wage, noise}
    assert codes(service_request_id=f"{wage}", status="closed") == {wage}  # ids override
    assert codes(service_code="CMP-NOISE") == {noise}
    assert codes(service_code="CMP-NOISE,REQ-WAGE") == {wage, noise, closed}
    assert codes(status="closed") == {closed}
    assert codes(status="open") == {wage, noise}
    assert codes(status="open,closed") == {wage, noise, closed}


def test_date_window(o311: Setup) -> None:
    code = o311.create()
    now = timezone.now()

    def codes(**params: Any) -> list[str]:
        return [
            item["service_request_id"] for item in json_body(o311.get("requests.json", **params))
        ]

    assert codes(start_date=(now - dt.timedelta(days=1)).isoformat()) == [code]
    assert codes(end_date=(now - dt.timedelta(days=1)).isoformat()) == []
    assert codes(start_date="2010-01-01T00:00:00Z", end_date="2010-03-01T00:00:00Z") == []
    old = Case.objects.get(receipt_code=code)
    Case.objects.filter(pk=old.pk).update(received_at=now - dt.timedelta(days=100))
    assert codes() == []  # the default window is the last 90 days


@pytest.mark.parametrize(
    "params, field",
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"}, "start_date"),
        ({"start_date": "2026-05-01T00:00:00Z", "end_date": "2026-04-01T00:00:00Z"}, "end_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45"}, "end_date"),
        ({"start_date": "9999-12-31T00:00:00+00:00"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"service_request_id": ",".join(str(i) for i in range(101))}, "service_request_id"),
        ({"jurisdiction_id": "x" * 6000}, "jurisdiction_id"),
    ],
)
def test_bad_filters_are_400(o311: Setup, params: dict[str, str], field: str) -> None:
    problems = error_descriptions(o311.get("requests.json", **params), 400)
    assert problems[0].startswith(field), problems


def test_unknown_parameters_are_ignored(o311: Setup) -> None:
    code = o311.create()
    body = json_body(o311.get("requests.json", foo="bar", page="-1", **{"x[y]": "z"}))
    assert [item["service_request_id"] for item in body] == [code]


def test_reads_stay_inside_the_keys_area(o311: Setup) -> None:
    code = o311.create()  # in grid_a, township A
    _client, west_key = api_client_issue(name="West app", area_code=o311.world.town_b.code)
    assert o311.get(f"requests/{code}.json", api_key=o311.key).status_code == 200
    assert error_descriptions(o311.get(f"requests/{code}.json", api_key=west_key), 404)
    assert json_body(o311.get("requests.json", api_key=west_key)) == []
    assert o311.get("requests.json", api_key="o311_wrong").status_code == 403


def test_reads_without_a_key_cover_the_jurisdictions_areas(world: World) -> None:
    client = Client()
    code = create_case(world)["receipt_code"]
    # No key serves the county yet: nothing is readable.
    assert json_body(client.get(f"{BASE}/requests.json")) == []
    api_client_issue(name="West app", area_code=world.town_b.code)
    assert client.get(f"{BASE}/requests/{code}.json").status_code == 404
    api_client_issue(name="East app", area_code=world.town_a.code)
    assert client.get(f"{BASE}/requests/{code}.json").status_code == 200


def test_cases_of_categories_not_offered_are_not_listed(o311: Setup) -> None:
    code = o311.create()
    Category.objects.filter(code="REQ-WAGE").update(public=False)
    assert o311.get(f"requests/{code}.json").status_code == 404


def test_token_answers_with_the_request_id(o311: Setup) -> None:
    code = o311.create()
    assert json_body(o311.get(f"tokens/{code}.json")) == [
        {"service_request_id": code, "token": code}
    ]
    assert "token" in error_descriptions(o311.get("tokens/NOPE.json"), 404)[0]


def test_the_list_reads_a_fixed_number_of_queries(
    o311: Setup, django_assert_num_queries: Any
) -> None:
    for _ in range(2):
        o311.create(media_url="https://example.org/a.jpg")
    drive_to(o311.world, "in_progress")
    # The rate-limit counter, jurisdictions served, the readers' areas, the cases with their
    # last event and clock.
    with django_assert_num_queries(4):
        assert len(json_body(o311.get("requests.json"))) == 3
    for _ in range(3):
        o311.create()
    drive_to(o311.world, "closed")
    with django_assert_num_queries(4):
        assert len(json_body(o311.get("requests.json"))) == 7


def test_limit_caps_the_list(o311: Setup, settings: Any) -> None:
    settings.CIVICDESK_OPEN311_MAX_REQUESTS = 2
    for _ in range(3):
        o311.create()
    assert len(json_body(o311.get("requests.json"))) == 2


# --- anything else -------------------------------------------------------------------------


def test_other_methods_and_paths_answer_in_the_error_format(o311: Setup) -> None:
    response = o311.client.put(f"{BASE}/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert error_descriptions(o311.client.get(f"{BASE}/nothing.json"), 404)
    assert o311.client.get(f"{BASE}/services.html").status_code == 404
    assert o311.client.delete(f"{BASE}/requests.json").status_code == 405


def test_an_unreadable_body_is_400(o311: Setup, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    form = {f"f{i}": "x" for i in range(20)}
    assert error_descriptions(o311.post(**form), 400)


def test_issue_key_command_prints_a_working_key(o311: Setup, capsys: Any) -> None:
    call_command("issue_open311_key", "Partner", "--area", o311.world.town_a.code)
    key = capsys.readouterr().out.strip().splitlines()[-1]
    response = o311.client.post(
        f"{BASE}/requests.json",
        {
            "api_key": key,
            "service_code": "REQ-WAGE",
            "description": "路灯坏了",
            "first_name": "a",
            **INSIDE_GRID,
        },
    )
    code = json_body(response)[0]["service_request_id"]
    case = Case.objects.get(receipt_code=code)
    assert case.created_by is not None
    assert list(case.created_by.role_assignments.values_list("role", "area")) == [
        ("clerk", o311.world.town_a.pk)
    ]
    assert not case.created_by.has_usable_password()


def test_issue_key_command_refuses_an_unknown_area(db: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="area"):
        call_command("issue_open311_key", "Partner", "--area", "NOPE")


def test_admin_issues_a_key_shown_once(o311: Setup) -> None:
    from civicdesk.organization.models import User

    User.objects.create_superuser("root", password="pw-root")
    browser = Client()
    browser.force_login(User.objects.get(username="root"))
    response = browser.post(
        "/admin/open311/apiclient/add/",
        {
            "name": "Portal",
            "jurisdiction_id": "civicdesk.local",
            "area": o311.world.town_a.pk,
            "default_area": o311.world.village_a.pk,
        },
        follow=True,
    )
    text = response.content.decode()
    shown = re.search(r"o311_([A-Za-z0-9_-]+)", text)
    assert shown is not None
    key = shown.group(1)
    created = Client().post(
        f"{BASE}/requests.json",
        {
            "api_key": "o311_" + key,
            "service_code": "REQ-WAGE",
            "description": "x",
            "first_name": "a",
            "lat": "39.9",
            "long": "116.4",
        },
    )
    case = Case.objects.get(receipt_code=json_body(created)[0]["service_request_id"])
    assert case.area == o311.world.village_a  # the client's default area
    # The change page never shows the key again.
    client_id = case.open311.client_id
    assert key not in browser.get(f"/admin/open311/apiclient/{client_id}/change/").content.decode()
    bad = browser.post(
        "/admin/open311/apiclient/add/",
        {
            "name": "Bad",
            "jurisdiction_id": "civicdesk.local",
            "area": o311.world.town_a.pk,
            "default_area": o311.world.village_b.pk,
        },
    )
    assert bad.status_code == 200 and Area.objects.count() == 6
    assert CaseParty.objects.count() == 1



def test_the_admin_lists_requests_without_their_content(o311: Setup) -> None:
    """Separation of duties: an administrator sees which client sent which request, not the
    resident's words, answers or photo link."""
    from civicdesk.organization.models import User

    posted = json_body(
        o311.post(
            service_code="REQ-WAGE",
            description="邻居装修噪音扰民已两周",
            first_name="三",
            last_name="张",
            phone="13812345678",
            media_url="https://example.org/secret-photo.jpg",
            **INSIDE_GRID,
        )
    )
    case = Case.objects.get(receipt_code=posted[0]["service_request_id"])
    User.objects.create_superuser("root", password="pw-root")
    browser = Client()
    browser.force_login(User.objects.get(username="root"))
    listing = browser.get("/admin/open311/open311request/")
    detail = browser.get(f"/admin/open311/open311request/{case.open311.pk}/change/")
    for page in (listing, detail):
        assert page.status_code == 200
        text = page.content.decode()
        assert case.receipt_code in text
        assert "噪音" not in text and "secret-photo" not in text
