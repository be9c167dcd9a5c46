"""The default texts of the six documents, in Chinese and English.

Legal citations follow 信访工作条例 (2022): art. 23 (written notice within 15 days; transfer to
the competent body, telling the resident where), art. 32 (matters that belong in litigation,
arbitration, reconsideration or police procedure are steered into it), art. 33 (content of the
信访处理意见书), art. 34 (60 days from acceptance, extension of at most 30 days with the reason
told), art. 35 (review within 30 days of the written reply). Non-petition matters cite no
article: their time limits come from local rules. Administrators edit these rows afterwards.
"""

from django.db import migrations

GREETING_ZH = "{{ requester_name }}：\n"
MATTER_ZH = (
    "你（单位）于{{ received_date }}{% if is_petition %}提出的信访事项{% else %}反映的{% endif %}"
    "“{{ case_title }}”（受理编号：{{ receipt_code }}，类别：{{ category_name }}）"
)
GREETING_EN = "Dear {{ requester_name }},\n"
MATTER_EN = (
    "Your {% if is_petition %}petition{% else %}matter{% endif %} “{{ case_title }}” "
    "(receipt code {{ receipt_code }}, category: {{ category_name }}), received on "
    "{{ received_date }},"
)

ZH = {
    "acceptance_notice": (
        "{% if is_petition %}信访事项受理告知书{% else %}受理告知书{% endif %}",
        GREETING_ZH
        + MATTER_ZH
        + "已收悉。经审查，该事项符合受理条件，本中心已于{{ accepted_date }}依法予以受理。"
        "{% if is_petition %}根据《信访工作条例》第二十三条的规定，现书面告知你。{% endif %}\n"
        "{% if is_petition %}依照《信访工作条例》第三十四条的规定，该信访事项将自受理之日起"
        "{{ handling_length|default:'60日' }}内办结；情况复杂的，经本机关负责人批准，可以适当延长"
        "办理期限，但延长期限不超过30日，届时将告知你延期理由。"
        "{% else %}本中心将按照规定时限办理{% if handling_due_date %}（办理时限{{ handling_length }}，"
        "应于{{ handling_due_date }}前办结）{% endif %}，办理结果将及时答复你。{% endif %}\n"
        "你可以凭受理编号{{ receipt_code }}查询办理进度。\n"
        "特此告知。",
    ),
    "non_acceptance_notice": (
        "不予受理告知书",
        GREETING_ZH
        + MATTER_ZH
        + "已收悉。经审查，该事项因以下原因不予受理：{{ not_accept_reason }}。\n"
        "{% if is_petition %}根据《信访工作条例》的有关规定，{% endif %}"
        "建议你通过以下途径依法反映或者解决：{{ proper_channel }}。\n"
        "特此告知。",
    ),
    "transfer_notice": (
        "{% if transfer_mode == 'redirect' %}导入法定程序告知书{% else %}转送告知书{% endif %}",
        GREETING_ZH
        + MATTER_ZH
        + "已收悉。\n"
        "{% if transfer_mode == 'redirect' %}"
        "经审查，该事项{{ redirect_reason }}，应当通过法定途径（{{ redirect_procedure }}）依法解决。"
        "{% if is_petition %}根据《信访工作条例》第三十二条的规定，{% endif %}"
        "请你依照有关法律法规的规定，向有权处理的机关提出。本中心可以为你提供相关指引。"
        "{% else %}"
        "按照“属地管理、分级负责，谁主管、谁负责”的原则"
        "{% if is_petition %}和《信访工作条例》第二十三条的规定{% endif %}，"
        "本中心已于{{ transfer_date }}将该事项转送{{ transfer_department }}办理。"
        "承办单位将依法办理并答复你，你也可以凭受理编号{{ receipt_code }}查询办理进度。"
        "{% endif %}\n"
        "特此告知。",
    ),
    "extension_notice": (
        "延期办理告知书",
        GREETING_ZH
        + MATTER_ZH
        + "正在办理中。因{{ extension_reason }}，经本机关负责人批准，该事项的办理期限延长"
        "{{ extension_length }}，延长后的办理期限至{{ new_due_date }}。\n"
        "{% if is_petition %}根据《信访工作条例》第三十四条的规定，延长期限不超过30日，"
        "现将延期理由告知你。{% endif %}\n"
        "特此告知。",
    ),
    "reply_letter": (
        "{% if is_petition %}信访处理意见书{% else %}答复意见书{% endif %}",
        GREETING_ZH
        + MATTER_ZH
        + "已办理完毕。{{ handling_department|default:centre_name }}对你反映的问题进行了调查核实，"
        "现将{% if is_petition %}处理意见{% else %}办理结果{% endif %}答复如下：\n"
        "{{ reply_text }}\n"
        "{% if is_petition %}如对本处理意见不服，你可以自收到本意见书之日起30日内，"
        "向原办理机关的上一级机关请求复查（《信访工作条例》第三十五条）。"
        "{% else %}如有疑问，请凭受理编号{{ receipt_code }}与本中心联系。{% endif %}\n"
        "特此答复。",
    ),
    "supervision_order": (
        "督办单",
        "督办编号：{{ order_number }}\n"
        "{{ department_name }}：\n"
        "你单位承办的“{{ case_title }}”（受理编号：{{ receipt_code }}，类别：{{ category_name }}，"
        "{{ received_date }}接收）"
        "{% if handling_due_date %}办理期限至{{ handling_due_date }}，{% endif %}"
        "目前状态为“{{ case_status }}”。为推动该事项依法及时解决，"
        "{% if is_petition %}根据《信访工作条例》关于督查督办的规定，{% endif %}"
        "现予督办。督办要求如下：\n"
        "{{ instructions }}\n"
        "请于{{ due_date }}前将办理情况书面报送本中心。"
        "{% if leader_name %}包案领导：{{ leader_name }}。{% endif %}\n"
        "督办人：{{ issued_by }}　督办日期：{{ issued_date }}",
    ),
}

EN = {
    "acceptance_notice": (
        "Notice of Acceptance",
        GREETING_EN
        + MATTER_EN
        + " was accepted on {{ accepted_date }}."
        "{% if is_petition %} This written notice is given under Article 23 of the "
        "Regulations on Letters and Visits (2022).{% endif %}\n"
        "{% if is_petition %}Under Article 34 of the Regulations, the petition will be dealt "
        "with within {{ handling_length|default:'60 days' }} of its acceptance; a complex "
        "matter may be extended by at most 30 days with approval, and you will be told why."
        "{% else %}It will be handled within the time limit that applies"
        "{% if handling_due_date %} ({{ handling_length }}, by {{ handling_due_date }})"
        "{% endif %}, and you will receive a reply.{% endif %}\n"
        "You can follow its progress with the receipt code {{ receipt_code }}.",
    ),
    "non_acceptance_notice": (
        "Notice of Non-acceptance",
        GREETING_EN
        + MATTER_EN
        + " cannot be accepted, for this reason: {{ not_accept_reason }}.\n"
        "{% if is_petition %}In accordance with the Regulations on Letters and Visits (2022), "
        "we{% else %}We{% endif %} advise you to raise or resolve it through this channel: "
        "{{ proper_channel }}.",
    ),
    "transfer_notice": (
        "{% if transfer_mode == 'redirect' %}Notice of the Proper Legal Procedure"
        "{% else %}Notice of Transfer{% endif %}",
        GREETING_EN
        + MATTER_EN
        + "{% if transfer_mode == 'redirect' %} belongs to a legal procedure: "
        "{{ redirect_procedure }}. Reason: {{ redirect_reason }}.\n"
        "{% if is_petition %}Under Article 32 of the Regulations on Letters and Visits (2022), "
        "{% endif %}Please bring it to the body responsible for that procedure; the centre "
        "can tell you how."
        "{% else %} was transferred on {{ transfer_date }} to {{ transfer_department }}, "
        "the body responsible for it"
        "{% if is_petition %}, under Article 23 of the Regulations on Letters and Visits "
        "(2022){% endif %}.\n"
        "That body will handle it and reply to you. You can follow its progress with the "
        "receipt code {{ receipt_code }}.{% endif %}",
    ),
    "extension_notice": (
        "Notice of Extension",
        GREETING_EN
        + MATTER_EN
        + " is being handled. With approval, the time for handling it has been extended by "
        "{{ extension_length }}, to {{ new_due_date }}, for this reason: "
        "{{ extension_reason }}.\n"
        "{% if is_petition %}Under Article 34 of the Regulations on Letters and Visits (2022), "
        "an extension may not exceed 30 days, and you are hereby told its reason.{% endif %}",
    ),
    "reply_letter": (
        "{% if is_petition %}Written Opinion on Your Petition{% else %}Written Reply"
        "{% endif %}",
        GREETING_EN
        + MATTER_EN
        + " has been dealt with. {{ handling_department|default:centre_name }} looked into "
        "it, and replies as follows:\n"
        "{{ reply_text }}\n"
        "{% if is_petition %}If you disagree with this opinion, you may ask the body above "
        "the one that handled it for a review within 30 days of receiving this letter "
        "(Article 35 of the Regulations on Letters and Visits (2022)).{% else %}If you have "
        "questions, contact the centre with the receipt code {{ receipt_code }}.{% endif %}",
    ),
    "supervision_order": (
        "Supervision Order",
        "Order number: {{ order_number }}\n"
        "To: {{ department_name }}\n"
        "The matter “{{ case_title }}” (receipt code {{ receipt_code }}, category: "
        "{{ category_name }}, received on {{ received_date }}) handled by your department"
        "{% if handling_due_date %}, due by {{ handling_due_date }},{% endif %} is now "
        "“{{ case_status }}”. To see it resolved lawfully and in time, it is placed under "
        "supervision with these instructions:\n"
        "{{ instructions }}\n"
        "Report in writing to the centre on what has been done by {{ due_date }}."
        "{% if leader_name %} Responsible leader: {{ leader_name }}.{% endif %}\n"
        "Issued by {{ issued_by }} on {{ issued_date }}",
    ),
}


def install(apps, schema_editor):
    DocumentTemplate = apps.get_model("documents", "DocumentTemplate")
    for language, texts in (("zh-hans", ZH), ("en", EN)):
        for kind, (title, body) in texts.items():
            if not DocumentTemplate.objects.filter(kind=kind, language=language).exists():
                DocumentTemplate.objects.create(
                    kind=kind, language=language, title=title, body=body, active=True
                )


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
