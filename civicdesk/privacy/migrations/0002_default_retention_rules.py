"""Default retention per case type; each centre may change them in the admin. The reasons are
in docs/decisions/0031-retention.md (summarised in each rule's note)."""

from typing import Any

from django.db import migrations

# (case type, years, keep attachments, note)
DEFAULTS = [
    (
        "petition",
        10,
        False,
        "信访档案最短保管期限为10年（《信访档案管理办法》）；更长期限的卷宗移交档案室保管，"
        "业务系统不再保留当事人个人信息。",
    ),
    (
        "dispute",
        5,
        False,
        "涵盖民事诉讼时效3年（民法典第188条）及调解协议司法确认、履行争议所需时间。",
    ),
    (
        "complaint",
        3,
        False,
        "涵盖诉讼时效3年（民法典第188条）及复查、复核、行政复议期限。",
    ),
    (
        "incident",
        5,
        True,
        "突发事件可能引起追责与刑事程序，保留5年；现场照片记录的是地点，随案保留。",
    ),
    (
        "hazard",
        3,
        True,
        "涵盖整改复查与再次举报的比对；隐患照片记录的是地点，随案保留。",
    ),
    (
        "request",
        2,
        False,
        "一般诉求：涵盖复查申请期、重开与年度考核，满2年后不再需要当事人个人信息。",
    ),
]


def seed(apps: Any, schema_editor: Any) -> None:
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    for case_type, years, keep_attachments, note in DEFAULTS:
        RetentionRule.objects.get_or_create(
            case_type=case_type,
            defaults={
                "length": years,
                "unit": "years",
                "keep_attachments": keep_attachments,
                "note": note,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
