"""Written documents: each kind rendered from a real case history as HTML and DOCX, scope and
availability, the language, the administrator's templates, and the sandbox."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any

import docx
import pytest
from django.conf import settings
from django.template import TemplateSyntaxError
from django.test import Client
from django.utils import timezone

from civicdesk.cases.models import Case
from civicdesk.documents.context import available_kinds, case_document_context
from civicdesk.documents.models import DocumentTemplate
from civicdesk.documents.sandbox import render_text
from civicdesk.organization.models import User
from civicdesk.supervision.models import SupervisionOrder
from tests.conftest import World
from tests.helpers import act_ok, create_case, drive_to


def _client(world: World, username: str = "clerk", language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.users[username])
    return client


def _url(case_id: int, kind: str, output: str = "html") -> str:
    return f"/documents/case/{case_id}/{kind}/?format={output}"


def _docx_text(response: Any) -> str:
    document = docx.Document(BytesIO(response.content))
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def _extended_case(world: World) -> int:
    case_id = drive_to(world, "in_progress")
    act_ok(world, case_id, "extend", days=5, reason="需要补充调查")
    return case_id


# kind -> (how to make the case, facts the document must state)
KIND_CASES: dict[str, tuple[Any, list[str]]] = {
    "acceptance_notice": (lambda w: drive_to(w, "accepted"), ["拖欠工资三个月", "工资拖欠"]),
    "non_acceptance_notice": (
        lambda w: drive_to(w, "not_accepted"),
        ["不属于本中心受理范围", "向县法院提起诉讼"],
    ),
    "transfer_notice": (lambda w: drive_to(w, "dispatched"), ["县人社局"]),
    "extension_notice": (_extended_case, ["需要补充调查", "延长5个工作日"]),
    "reply_letter": (lambda w: drive_to(w, "replied"), ["经调查，企业已支付全部拖欠工资。"]),
}


@pytest.mark.parametrize("kind", list(KIND_CASES))
def test_each_kind_renders_as_html_and_docx(world: World, kind: str) -> None:
    make, facts = KIND_CASES[kind]
    case_id = make(world)
    case = Case.objects.get(pk=case_id)
    client = _client(world)

    page = client.get(_url(case_id, kind))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-kind="{kind}"' in html
    for text in [case.receipt_code, case.centre.name, "张三", *facts]:
        assert text in html, text

    download = client.get(_url(case_id, kind, "docx"))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert case.receipt_code in disposition and kind in disposition
    text = _docx_text(download)
    for fact in [case.receipt_code, case.centre.name, "张三", *facts]:
        assert fact in text, fact


def test_docx_is_an_a4_document_with_chinese_fonts(world: World) -> None:
    case_id = drive_to(world, "accepted")
    response = _client(world).get(_url(case_id, "acceptance_notice", "docx"))
    document = docx.Document(BytesIO(response.content))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    title = document.paragraphs[0]
    assert title.text == "受理告知书"
    assert title.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs[0].bold
    east_asia = title.runs[0]._element.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia"))
    assert east_asia == "宋体"
    issuer, date = document.paragraphs[-2], document.paragraphs[-1]
    assert issuer.text == Case.objects.get(pk=case_id).centre.name == "东城街道综治中心"
    assert issuer.alignment == date.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
    today = timezone.localdate()
    assert date.text == f"{today.year}年{today.month}月{today.day}日"


def test_petition_notices_cite_the_regulations(world: World) -> None:
    case_id = drive_to(world, "accepted", type="petition", category="PET")
    html = _client(world).get(_url(case_id, "acceptance_notice")).content.decode()
    assert "信访事项受理告知书" in html
    assert "《信访工作条例》第二十三条" in html and "第三十四条" in html
    reply_id = drive_to(world, "replied", type="petition", category="PET")
    letter = _client(world).get(_url(reply_id, "reply_letter")).content.decode()
    assert "信访处理意见书" in letter and "第三十五条" in letter


def test_redirect_gives_a_transfer_notice_naming_the_procedure(world: World) -> None:
    case_id = drive_to(world, "redirected")
    html = _client(world).get(_url(case_id, "transfer_notice")).content.decode()
    assert "导入法定程序告知书" in html
    assert "属于民事诉讼事项" in html
    assert "诉讼" in html


def test_kind_not_supported_by_the_case_history_is_404(world: World) -> None:
    case_id = drive_to(world, "accepted")
    client = _client(world)
    for kind in [
        "non_acceptance_notice",
        "extension_notice",
        "reply_letter",
        "transfer_notice",
        "supervision_order",
        "no_such_kind",
    ]:
        assert client.get(_url(case_id, kind)).status_code == 404, kind
    assert client.get(_url(case_id, "acceptance_notice", "pdf")).status_code == 404


def test_outside_scope_is_404(world: World) -> None:
    case_id = drive_to(world, "accepted")
    for username in ["other_handler", "admin", "town_clerk"]:
        response = _client(world, username).get(_url(case_id, "acceptance_notice"))
        assert response.status_code == 404, username
    assert _client(world).get(_url(999_999, "acceptance_notice")).status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(world: World) -> None:
    case_id = drive_to(world, "accepted")
    response = Client().get(_url(case_id, "acceptance_notice"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_language_chooses_the_template_and_falls_back_to_chinese(world: World) -> None:
    case_id = drive_to(world, "accepted")
    english = _client(world, language="en").get(_url(case_id, "acceptance_notice"))
    html = english.content.decode()
    assert 'data-language="en"' in html
    assert "Notice of Acceptance" in html and "Wage arrears" in html
    today = timezone.localdate()
    assert f"{today:%B} {today.year}" in html
    chinese = _client(world).get(_url(case_id, "acceptance_notice")).content.decode()
    assert 'data-language="zh-hans"' in chinese and "受理告知书" in chinese

    DocumentTemplate.objects.filter(kind="acceptance_notice", language="en").update(active=False)
    fallback = _client(world, language="en").get(_url(case_id, "acceptance_notice"))
    assert 'data-language="zh-hans"' in fallback.content.decode()


def test_kind_with_no_active_template_is_404(world: World) -> None:
    case_id = drive_to(world, "accepted")
    DocumentTemplate.objects.filter(kind="acceptance_notice").update(active=False)
    assert _client(world).get(_url(case_id, "acceptance_notice")).status_code == 404


def test_user_text_is_escaped_in_html(world: World) -> None:
    case_id = drive_to(world, "accepted", title="<script>alert(1)</script>")
    html = _client(world).get(_url(case_id, "acceptance_notice")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # In the DOCX it is just text.
    text = _docx_text(_client(world).get(_url(case_id, "acceptance_notice", "docx")))
    assert "<script>alert(1)</script>" in text


def test_anonymous_requester_is_not_named(world: World) -> None:
    case_id = create_case(
        world,
        type="complaint",
        category="CMP-NOISE",
        parties=[{"role": "requester", "name": "", "phone": "", "anonymous": True}],
    )["id"]
    act_ok(world, case_id, "accept")
    html = _client(world).get(_url(case_id, "acceptance_notice")).content.decode()
    assert "匿名：" in html


def test_available_kinds_follow_the_history(world: World) -> None:
    def kinds(status: str) -> list[str]:
        return available_kinds(Case.objects.get(pk=drive_to(world, status)))

    assert kinds("received") == []
    assert kinds("accepted") == ["acceptance_notice"]
    assert kinds("not_accepted") == ["non_acceptance_notice"]
    assert kinds("redirected") == ["transfer_notice"]
    assert kinds("dispatched") == ["acceptance_notice", "transfer_notice"]
    assert kinds("reported") == ["acceptance_notice", "transfer_notice", "reply_letter"]
    extended = Case.objects.get(pk=_extended_case(world))
    assert "extension_notice" in available_kinds(extended)


def test_context_holds_plain_strings_only(world: World) -> None:
    case = Case.objects.get(pk=_extended_case(world))
    context = case_document_context(case, "extension_notice", "zh-hans")
    assert all(type(value) is str for value in context.values())
    assert context["extension_days"] == "5"
    assert context["extension_reason"] == "需要补充调查"
    assert context["new_due_date"].endswith("日")


def test_document_page_query_count_does_not_grow_with_events(
    world: World, django_assert_num_queries: Any
) -> None:
    case_id = _extended_case(world)
    client = _client(world)
    client.get(_url(case_id, "extension_notice"))  # session and grants warm-up
    with django_assert_num_queries(QUERIES):
        client.get(_url(case_id, "extension_notice"))
    for _ in range(3):
        act_ok(world, case_id, "suspend")
        act_ok(world, case_id, "resume")
    act_ok(world, case_id, "extend", days=2, reason="再次补充调查")
    with django_assert_num_queries(QUERIES):
        response = client.get(_url(case_id, "extension_notice"))
    assert "再次补充调查" in response.content.decode()


# Session, user, grants, case (with the area scope as a subquery), event kinds (available
# kinds), template, events (facts), clocks, parties, and the access record (decision 0027).
QUERIES = 10


# --- the case's document list ---------------------------------------------------------------


def test_case_documents_lists_available_kinds(world: World) -> None:
    case_id = drive_to(world, "dispatched")
    client = _client(world)
    page = client.get(f"/documents/case/{case_id}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-kind="acceptance_notice"' in html and 'data-kind="transfer_notice"' in html
    assert 'data-kind="reply_letter"' not in html
    assert f"/documents/case/{case_id}/transfer_notice/?format=docx" in html
    partial = client.get(f"/documents/case/{case_id}/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<ul class="list-group" id="case-documents">')
    assert _client(world, "other_handler").get(f"/documents/case/{case_id}/").status_code == 404


# --- supervision orders ---------------------------------------------------------------------


def _order(world: World) -> SupervisionOrder:
    case = Case.objects.get(pk=drive_to(world, "in_progress"))
    # The supervision services are another part's work; the order row is all a document needs.
    return SupervisionOrder.objects.create(
        case=case,
        number="DB-2026-000123",
        issued_by=world.users["leader"],
        issued_at=timezone.now(),
        department=world.dept,
        leader=world.users["leader"],
        instructions="请于五个工作日内办结<b>并报告</b>",
        due_at=timezone.now() + dt.timedelta(days=7),
    )


def test_supervision_order_renders_as_html_and_docx(world: World) -> None:
    order = _order(world)
    client = _client(world)
    url = f"/documents/supervision-order/{order.pk}/"
    html = client.get(url).content.decode()
    for text in [
        "督办单",
        "DB-2026-000123",
        "县人社局",
        order.case.receipt_code,
        order.case.centre.name,
    ]:
        assert text in html, text
    assert "&lt;b&gt;并报告&lt;/b&gt;" in html
    download = client.get(url + "?format=docx")
    assert "DB-2026-000123-supervision_order.docx" in download["Content-Disposition"]
    text = _docx_text(download)
    due = timezone.localtime(order.due_at).date()
    for fact in [
        "DB-2026-000123",
        "县人社局",
        "请于五个工作日内办结<b>并报告</b>",
        f"{due.year}年{due.month}月{due.day}日",
    ]:
        assert fact in text, fact


def test_supervision_order_outside_scope_is_404(world: World) -> None:
    order = _order(world)
    url = f"/documents/supervision-order/{order.pk}/"
    assert _client(world, "other_handler").get(url).status_code == 404
    assert _client(world, "admin").get(url).status_code == 404
    assert _client(world, "handler").get(url).status_code == 200
    assert _client(world).get("/documents/supervision-order/999999/").status_code == 404


# --- templates as data: the administrator ---------------------------------------------------


@pytest.fixture
def root(world: World) -> Client:
    User.objects.create_superuser("root", password="pw-root", email="")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username="root"))
    return client


def _change_url(template: DocumentTemplate) -> str:
    return f"/admin/documents/documenttemplate/{template.pk}/change/"


def _form(template: DocumentTemplate, **changes: Any) -> dict[str, Any]:
    data = {
        "kind": template.kind,
        "language": template.language,
        "title": template.title,
        "body": template.body,
        "active": "on" if template.active else "",
        "_save": "Save",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def _acceptance_zh() -> DocumentTemplate:
    return DocumentTemplate.objects.get(kind="acceptance_notice", language="zh-hans", active=True)


def test_admin_edits_a_template_and_the_next_document_uses_it(world: World, root: Client) -> None:
    template = _acceptance_zh()
    body = "{{ requester_name }}：\n本中心已受理你的事项，编号{{ receipt_code }}。自定义文本"
    response = root.post(_change_url(template), _form(template, title="受理通知", body=body))
    assert response.status_code == 302, response.content.decode()
    case_id = drive_to(world, "accepted")
    html = _client(world).get(_url(case_id, "acceptance_notice")).content.decode()
    assert "受理通知" in html and "自定义文本" in html
    assert Case.objects.get(pk=case_id).receipt_code in html


@pytest.mark.parametrize(
    "body",
    [
        "{% if %}",
        "{{ receipt_code|no_such_filter }}",
        "{% load static %}{% static 'x' %}",
        "{% include 'base.html' %}",
        "{% debug %}",
        "{% url 'workbench:home' %}",
        "{% for x in %}",
        "{{ case_title|safe }}",
        "{% autoescape off %}{{ case_title }}{% endautoescape %}",
    ],
)
def test_template_that_does_not_compile_is_refused(root: Client, body: str) -> None:
    template = _acceptance_zh()
    before = template.body
    response = root.post(_change_url(template), _form(template, body=body))
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html and "The template has a syntax error" in html
    template.refresh_from_db()
    assert template.body == before


def test_second_active_template_of_a_kind_is_refused(root: Client) -> None:
    response = root.post(
        "/admin/documents/documenttemplate/add/",
        {
            "kind": "acceptance_notice",
            "language": "zh-hans",
            "title": "又一个",
            "body": "x",
            "active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert "Another active template exists" in response.content.decode()
    assert (
        DocumentTemplate.objects.filter(kind="acceptance_notice", language="zh-hans").count() == 1
    )
    inactive = root.post(
        "/admin/documents/documenttemplate/add/",
        {
            "kind": "acceptance_notice",
            "language": "zh-hans",
            "title": "草稿",
            "body": "x",
            "_save": "Save",
        },
    )
    assert inactive.status_code == 302


def test_preview_renders_the_draft_against_invented_values(root: Client) -> None:
    url = "/admin/documents/documenttemplate/preview/"
    response = root.post(
        url,
        {
            "kind": "extension_notice",
            "language": "en",
            "title": "Draft",
            "body": "Code {{ receipt_code }} <i>{{ extension_reason }}</i>",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="preview-banner"' in html and "Draft" in html
    assert "Code 7K2QH-M4XC9" in html and "Further investigation needed" in html
    broken = root.post(
        url, {"kind": "reply_letter", "language": "zh-hans", "title": "x", "body": "{% if %}"}
    ).content.decode()
    assert 'id="template-problems"' in broken and "syntax error" in broken
    assert root.get(url).status_code == 405
    change_page = root.get(_change_url(_acceptance_zh())).content.decode()
    assert 'id="preview-template"' in change_page and 'formaction="' + url in change_page
    assert 'id="template-names"' in change_page


def test_preview_needs_an_administrator(world: World) -> None:
    response = _client(world).post("/admin/documents/documenttemplate/preview/", {"body": "x"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_template_cannot_reach_settings_requests_or_methods(world: World) -> None:
    case = Case.objects.get(pk=drive_to(world, "accepted"))
    context = case_document_context(case, "acceptance_notice", "zh-hans")
    body = "[{{ settings.SECRET_KEY }}][{{ request.user }}][{{ case.delete }}][{{ user.password }}]"
    rendered = render_text(body, context, html=True)
    assert rendered == "[][][][]"
    assert settings.SECRET_KEY not in rendered
    assert Case.objects.filter(pk=case.pk).exists()
    with pytest.raises(TemplateSyntaxError):
        render_text("{{ receipt_code.__class__ }}", context, html=True)
