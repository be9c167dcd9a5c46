"""The fictional world of the demo: 青溪县 (Qingxi County), its streets, villages and grids, its
departments and staff, the category tree, and the Chinese text templates cases are written from.

Pure data, no database. Text templates use `{slot}` placeholders filled by the case generator
(texts.SLOT_MAKERS). Persons in case texts are written the way public documents write them,
"张某", so the texts name nobody; the parties' full (invented) names live only in CaseParty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from civicdesk.cases.choices import CaseType as T
from civicdesk.cases.choices import Channel as C
from civicdesk.cases.choices import Procedure
from civicdesk.organization.choices import DepartmentKind as K
from civicdesk.organization.choices import Role as R

DEMO_PASSWORD = "civicdesk-demo"  # noqa: S105 - demo only: printed by the command, never use it elsewhere

COUNTY_CODE = "339901"
COUNTY_NAME = "青溪县"
COUNTY_CENTRE = "C-339901"
# Roughly where the fictional county would sit; only used to give some cases a map position.
COUNTY_LAT, COUNTY_LNG = 29.62, 119.03


@dataclass(frozen=True)
class Village:
    suffix: str  # three digits: 0xx-1xx communities, 2xx villages (CJ/T 349 style)
    name: str
    grids: int


@dataclass(frozen=True)
class Township:
    suffix: str  # three digits: 0xx streets, 1xx towns
    name: str
    roads: tuple[str, ...]
    villages: tuple[Village, ...]


TOWNSHIPS: tuple[Township, ...] = (
    Township(
        "001",
        "城关街道",
        ("人民路", "解放路", "文昌路", "县前街", "青溪中路"),
        (
            Village("001", "东门社区", 4),
            Village("002", "南门社区", 4),
            Village("003", "文昌社区", 4),
        ),
    ),
    Township(
        "002",
        "滨江街道",
        ("滨江大道", "望江路", "新湖路", "江南街"),
        (
            Village("001", "江滨社区", 4),
            Village("002", "望江社区", 4),
            Village("003", "新湖社区", 4),
        ),
    ),
    Township(
        "101",
        "白石镇",
        ("白石街", "溪口路", "枫林路", "石桥路"),
        (
            Village("201", "白石村", 3),
            Village("202", "石桥村", 3),
            Village("203", "枫林村", 3),
            Village("204", "上溪村", 3),
        ),
    ),
)


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    name_en: str
    kind: str
    area: str  # an area code: the county, a township or a village


def _tw(suffix: str) -> str:
    return COUNTY_CODE + suffix


DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "D-HRSS",
        "青溪县人力资源和社会保障局",
        "Qingxi County Human Resources and Social Security Bureau",
        K.HUMAN_RESOURCES,
        COUNTY_CODE,
    ),
    DepartmentSpec(
        "D-PETITION", "青溪县信访局", "Qingxi County Petition Bureau", K.PETITION, COUNTY_CODE
    ),
    DepartmentSpec("D-POLICE-CG", "城关派出所", "Chengguan Police Station", K.POLICE, _tw("001")),
    DepartmentSpec("D-POLICE-BS", "白石派出所", "Baishi Police Station", K.POLICE, _tw("101")),
    DepartmentSpec(
        "D-JUSTICE-CG", "城关司法所", "Chengguan Judicial Office", K.JUDICIAL, _tw("001")
    ),
    DepartmentSpec("D-JUSTICE-BS", "白石司法所", "Baishi Judicial Office", K.JUDICIAL, _tw("101")),
    DepartmentSpec("D-LAND-BS", "白石国土所", "Baishi Land Office", K.LAND, _tw("101")),
    DepartmentSpec(
        "D-HOUSING",
        "青溪县住房和城乡建设局",
        "Qingxi County Housing and Urban-Rural Development Bureau",
        K.CONSTRUCTION,
        COUNTY_CODE,
    ),
    DepartmentSpec(
        "D-CIVIL",
        "青溪县民政局",
        "Qingxi County Civil Affairs Bureau",
        K.CIVIL_AFFAIRS,
        COUNTY_CODE,
    ),
    DepartmentSpec(
        "D-MARKET",
        "青溪县市场监督管理局",
        "Qingxi County Market Regulation Bureau",
        K.MARKET,
        COUNTY_CODE,
    ),
    DepartmentSpec(
        "D-EMERGENCY",
        "青溪县应急管理局（消防救援大队）",
        "Qingxi County Emergency Management Bureau (Fire and Rescue Brigade)",
        K.EMERGENCY,
        COUNTY_CODE,
    ),
    DepartmentSpec(
        "D-EDU", "青溪县教育局", "Qingxi County Education Bureau", K.EDUCATION, COUNTY_CODE
    ),
    DepartmentSpec(
        "D-HEALTH", "青溪县卫生健康局", "Qingxi County Health Commission", K.HEALTH, COUNTY_CODE
    ),
    DepartmentSpec(
        "D-COURT", "青溪县人民法院", "Qingxi County People's Court", K.COURT, COUNTY_CODE
    ),
    DepartmentSpec(
        "D-ENV",
        "青溪县生态环境分局",
        "Qingxi County Ecology and Environment Branch",
        K.OTHER,
        COUNTY_CODE,
    ),
    DepartmentSpec(
        "D-CMTE-DM",
        "东门社区居民委员会",
        "Dongmen Community Residents' Committee",
        K.COMMITTEE,
        _tw("001") + "001",
    ),
    DepartmentSpec(
        "D-MEDCOM-BS",
        "白石村人民调解委员会",
        "Baishi Village People's Mediation Committee",
        K.MEDIATION_COMMITTEE,
        _tw("101") + "201",
    ),
)

# The department whose cases the demo handler, department head and leader work on.
DEMO_DEPARTMENT = "D-HRSS"


@dataclass(frozen=True)
class StaffSpec:
    username: str
    display_name: str
    centre: str | None  # a centre code
    # (role, area code or None, department code or None)
    grants: tuple[tuple[str, str | None, str | None], ...]
    superuser: bool = False


def _centre(township_suffix: str) -> str:
    return "C-" + _tw(township_suffix)


FIRST_GRID = _tw("001") + "001" + "001"  # 东门社区第1网格

# The named demo accounts of DESIGN.md, one per role, each named after its role.
DEMO_ACCOUNTS: tuple[StaffSpec, ...] = (
    StaffSpec("clerk", "王晓燕", COUNTY_CENTRE, ((R.CLERK, COUNTY_CODE, None),)),
    StaffSpec("dispatcher", "陈志强", COUNTY_CENTRE, ((R.DISPATCHER, COUNTY_CODE, None),)),
    StaffSpec("handler", "刘建国", COUNTY_CENTRE, ((R.HANDLER, None, DEMO_DEPARTMENT),)),
    StaffSpec("dept_head", "赵丽华", COUNTY_CENTRE, ((R.DEPT_HEAD, None, DEMO_DEPARTMENT),)),
    StaffSpec("leader", "孙伟", COUNTY_CENTRE, ((R.LEADER, None, None),)),
    StaffSpec("supervisor", "周敏", COUNTY_CENTRE, ((R.SUPERVISOR, COUNTY_CODE, None),)),
    StaffSpec("grid_worker", "吴海涛", _centre("001"), ((R.GRID_WORKER, FIRST_GRID, None),)),
    StaffSpec("mediator", "郑秀英", _centre("001"), ((R.MEDIATOR, None, "D-JUSTICE-CG"),)),
    StaffSpec("auditor", "冯雪", COUNTY_CENTRE, ((R.AUDITOR, COUNTY_CODE, None),)),
    StaffSpec(
        "admin", "系统管理员", COUNTY_CENTRE, ((R.ADMIN, COUNTY_CODE, None),), superuser=True
    ),
)

# More staff, so routing, rosters and lists look like a real county.
OTHER_STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("clerk_cg", "林芳", _centre("001"), ((R.CLERK, _tw("001"), None),)),
    StaffSpec("clerk_bj", "何静", _centre("002"), ((R.CLERK, _tw("002"), None),)),
    StaffSpec("grid_bj", "邹平", _centre("002"), ((R.GRID_WORKER, _tw("002") + "001001", None),)),
    StaffSpec("clerk_bs", "高磊", _centre("101"), ((R.CLERK, _tw("101"), None),)),
    StaffSpec("dispatcher_bs", "罗斌", _centre("101"), ((R.DISPATCHER, _tw("101"), None),)),
    StaffSpec("leader_li", "李国庆", COUNTY_CENTRE, ((R.LEADER, None, None),)),
    StaffSpec("leader_huang", "黄振华", _centre("101"), ((R.LEADER, None, None),)),
    StaffSpec("h_hrss", "杜鹏", None, ((R.HANDLER, None, "D-HRSS"),)),
    StaffSpec("h_petition", "彭辉", None, ((R.HANDLER, None, "D-PETITION"),)),
    StaffSpec("h_police_cg", "马俊", None, ((R.HANDLER, None, "D-POLICE-CG"),)),
    StaffSpec("h_police_bs", "董斌", None, ((R.HANDLER, None, "D-POLICE-BS"),)),
    StaffSpec("h_justice_cg", "罗红梅", None, ((R.HANDLER, None, "D-JUSTICE-CG"),)),
    StaffSpec("h_justice_bs", "萧敏", None, ((R.HANDLER, None, "D-JUSTICE-BS"),)),
    StaffSpec("h_land", "梁勇", None, ((R.HANDLER, None, "D-LAND-BS"),)),
    StaffSpec("h_housing", "宋涛", None, ((R.HANDLER, None, "D-HOUSING"),)),
    StaffSpec("h_civil", "唐丽", None, ((R.HANDLER, None, "D-CIVIL"),)),
    StaffSpec("h_market", "许文", None, ((R.HANDLER, None, "D-MARKET"),)),
    StaffSpec("h_fire", "韩冰", None, ((R.HANDLER, None, "D-EMERGENCY"),)),
    StaffSpec("h_edu", "曹颖", None, ((R.HANDLER, None, "D-EDU"),)),
    StaffSpec("h_health", "邓超", None, ((R.HANDLER, None, "D-HEALTH"),)),
    StaffSpec("h_court", "袁明", None, ((R.HANDLER, None, "D-COURT"),)),
    StaffSpec("h_env", "蒋雯", None, ((R.HANDLER, None, "D-ENV"),)),
    StaffSpec("h_cmte", "潘红", None, ((R.HANDLER, None, "D-CMTE-DM"),)),
    StaffSpec("h_medcom", "田福", None, ((R.HANDLER, None, "D-MEDCOM-BS"),)),
    StaffSpec("head_police_cg", "贾立", None, ((R.DEPT_HEAD, None, "D-POLICE-CG"),)),
    StaffSpec("mediator_bs", "白玉兰", _centre("101"), ((R.MEDIATOR, None, "D-JUSTICE-BS"),)),
)

# Who takes in cases at each centre (the registering clerk), and who dispatches there.
CENTRE_CLERKS = {
    COUNTY_CENTRE: "clerk",
    _centre("001"): "clerk_cg",
    _centre("002"): "clerk_bj",
    _centre("101"): "clerk_bs",
}
# The responsible leader for each department's cases: the demo leader owns the demo
# department's, and shares the rest with two colleagues.
DEPARTMENT_LEADERS = {
    "D-HRSS": ("leader",),
    "D-PETITION": ("leader", "leader_li"),
    "D-HOUSING": ("leader_li",),
    "D-MARKET": ("leader_li", "leader"),
    "D-LAND-BS": ("leader_huang",),
    "D-POLICE-BS": ("leader_huang",),
    "D-JUSTICE-BS": ("leader_huang",),
    "D-MEDCOM-BS": ("leader_huang",),
}
DEFAULT_LEADERS = ("leader_li", "leader_huang", "leader")


# --- categories ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseText:
    """How a case of one category is written: (title, description) pairs, the handling result,
    and who the respondent usually is ("company", "person" or None)."""

    pairs: tuple[tuple[str, str], ...]
    result: str
    respondent: str | None = None


@dataclass(frozen=True)
class Leaf:
    code: str
    name_zh: str
    name_en: str
    department: str
    weight: int  # how common the matter is, relative to the others
    text: CaseText
    policy: dict[str, dict[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    code: str
    name_zh: str
    name_en: str
    case_type: str
    leaves: tuple[Leaf, ...]


def _handling(days: int) -> dict[str, dict[str, object]]:
    return {"handling": {"length": days, "unit": "working_days"}}


def _rectification(days: int) -> dict[str, dict[str, object]]:
    return {"rectification": {"length": days, "unit": "days"}}


CATEGORY_GROUPS: tuple[Group, ...] = (
    Group(
        "PET",
        "信访事项",
        "Petition matters",
        T.PETITION,
        (
            Leaf(
                "PET-LAND",
                "土地征收",
                "Land requisition",
                "D-LAND-BS",
                4,
                CaseText(
                    (
                        (
                            "{place}村民反映土地征收补偿标准偏低",
                            "{place}{households}户村民联名来信反映，{place}地块征收土地{mu}亩，补偿标准低于周边"
                            "同类地块，要求公开征收批复和补偿测算依据。",
                        ),
                        (
                            "反映{place}征地补偿款未足额发放",
                            "{surname}某等村民反映，{place}征地已完成{months}个月，仍有{amount}元补偿款未发放到户，"
                            "多次到村委会询问未得到答复。",
                        ),
                    ),
                    "经核查，{place}地块征收补偿按县政府批准的标准执行，已向群众公开批复文件和测算依据，"
                    "未足额发放的补偿款已于本月发放到户。",
                ),
            ),
            Leaf(
                "PET-SOCIAL",
                "社会保障待遇",
                "Social security benefits",
                "D-HRSS",
                4,
                CaseText(
                    (
                        (
                            "反映养老保险待遇核定有误",
                            "{surname}某来访反映，其养老保险缴费年限核定少算{months}年，导致每月养老金少发，"
                            "要求重新核定待遇。",
                        ),
                        (
                            "要求落实{company}职工社保补缴",
                            "{company}{workers}名职工反映，单位欠缴社会保险费{months}个月，影响医保报销和退休"
                            "待遇，要求督促单位补缴。",
                        ),
                    ),
                    "经县人社局核查，相关缴费记录已补录，待遇已重新核定并补发差额。",
                    "company",
                ),
            ),
            Leaf(
                "PET-HOUSING",
                "住房保障",
                "Housing security",
                "D-HOUSING",
                3,
                CaseText(
                    (
                        (
                            "申请公租房长期未获答复",
                            "{surname}某反映，其家庭于{months}个月前申请公共租赁住房，材料已齐全，至今未收到审核"
                            "结果，家中{households}口人居住面积不足。",
                        ),
                        (
                            "反映{estate}安置房迟迟未交付",
                            "{estate}{households}户拆迁安置户反映，安置房约定交付期已过{months}个月仍未交付，"
                            "过渡费也未按时发放。",
                        ),
                    ),
                    "经县住建局核查，申请已进入公示环节，过渡费已补发，交付时间已书面告知申请人。",
                ),
            ),
            Leaf(
                "PET-CONDUCT",
                "干部作风",
                "Conduct of officials",
                "D-PETITION",
                2,
                CaseText(
                    (
                        (
                            "反映{place}村干部办事推诿",
                            "{surname}某反映，其到{place}村委会办理宅基地审批手续，往返{days}次仍未办结，"
                            "工作人员推诿拖延。",
                        ),
                    ),
                    "经县信访局会同乡镇调查，相关手续已办结，对当事工作人员进行了批评教育。",
                ),
            ),
            Leaf(
                "PET-ENV",
                "环境污染",
                "Environmental pollution",
                "D-ENV",
                2,
                CaseText(
                    (
                        (
                            "反映{company}夜间偷排废水",
                            "{place}群众反映，{company}夜间向附近河道排放废水，河水发黑发臭，已持续{days}天，"
                            "要求查处。",
                        ),
                    ),
                    "经县生态环境分局现场检查和取样监测，{company}存在超标排放问题，已责令停产整改并立案"
                    "处罚。",
                    "company",
                ),
            ),
        ),
    ),
    Group(
        "REQ-LAB",
        "劳动保障",
        "Labour and social security",
        T.REQUEST,
        (
            Leaf(
                "REQ-WAGE",
                "工资拖欠",
                "Wage arrears",
                "D-HRSS",
                14,
                CaseText(
                    (
                        (
                            "{company}拖欠{workers}名工人工资{amount}元",
                            "{surname}某等{workers}名农民工反映，在{place}{road}工地为{company}务工，"
                            "{company}已拖欠工资{months}个月，共计{amount}元，多次讨要未果。",
                        ),
                        (
                            "反映{company}拖欠工资{months}个月",
                            "{surname}某来电反映，其在{company}工作，单位以资金周转困难为由拖欠其工资{months}个月，"
                            "共{amount}元，请求帮助追讨。",
                        ),
                        (
                            "{road}建筑工地农民工讨薪",
                            "{road}某建筑工地{workers}名农民工反映，包工头{surname2}某拖欠工资{amount}元，"
                            "总承包单位{company}以已付清工程款为由拒绝支付。",
                        ),
                    ),
                    "经县人社局劳动保障监察大队调查，{company}拖欠工资属实，已责令其限期支付，"
                    "{amount}元工资已全部发放到工人手中。",
                    "company",
                ),
                _handling(5),
            ),
            Leaf(
                "REQ-SOCINS",
                "社保办理",
                "Social insurance services",
                "D-HRSS",
                3,
                CaseText(
                    (
                        (
                            "咨询灵活就业人员社保缴费",
                            "{surname}某来电咨询，其为灵活就业人员，想了解在本县缴纳养老保险和医疗保险的"
                            "办理流程和缴费标准。",
                        ),
                        (
                            "{company}未为职工办理社保",
                            "{surname}某反映，其入职{company}已{months}个月，单位一直未为其办理社会保险登记。",
                        ),
                    ),
                    "已向来电人详细解答办理流程，并告知可通过线上平台办理；涉及单位未参保的已责令整改。",
                    "company",
                ),
                _handling(10),
            ),
        ),
    ),
    Group(
        "REQ-LIFE",
        "民生服务",
        "Public services",
        T.REQUEST,
        (
            Leaf(
                "REQ-PROP",
                "物业服务",
                "Property management services",
                "D-HOUSING",
                5,
                CaseText(
                    (
                        (
                            "{estate}物业长期不履行维修义务",
                            "{estate}业主{surname}某反映，小区{no}幢电梯故障已{days}天，物业公司迟迟不维修，"
                            "楼内老人出行困难。",
                        ),
                        (
                            "{estate}小区垃圾清运不及时",
                            "{estate}居民反映，小区垃圾已堆放{days}天未清运，气味难闻，物业公司不予处理。",
                        ),
                    ),
                    "经县住建局督促，物业公司已完成维修和清运，并承诺建立日常巡查制度。",
                ),
                _handling(10),
            ),
            Leaf(
                "REQ-UTIL",
                "供水供电",
                "Water and power supply",
                "D-HOUSING",
                4,
                CaseText(
                    (
                        (
                            "{place}{road}一带频繁停水",
                            "{place}{road}{no}号附近居民反映，近{days}天每天傍晚停水，影响正常生活，"
                            "请求尽快恢复供水。",
                        ),
                        (
                            "{estate}小区电压不稳",
                            "{estate}居民反映，小区夜间电压不稳，家用电器多次损坏，共涉及{households}户。",
                        ),
                    ),
                    "经协调供水供电单位排查，管网和线路故障已修复，供应已恢复正常。",
                ),
                _handling(5),
            ),
            Leaf(
                "REQ-ASSIST",
                "困难救助",
                "Hardship assistance",
                "D-CIVIL",
                3,
                CaseText(
                    (
                        (
                            "申请临时救助",
                            "{place}居民{surname}某反映，家庭主要劳动力因病住院{months}个月，医疗费用负担重，"
                            "申请临时救助。",
                        ),
                    ),
                    "经县民政局入户核查，申请人符合临时救助条件，已发放救助金{amount}元。",
                ),
                _handling(15),
            ),
            Leaf(
                "REQ-SCHOOL",
                "入学咨询",
                "School enrolment",
                "D-EDU",
                2,
                CaseText(
                    (
                        (
                            "咨询子女就近入学",
                            "{surname}某来电咨询，其家庭居住在{place}{road}，孩子今年满六周岁，想了解学区划分和"
                            "报名材料。",
                        ),
                    ),
                    "已向来电人告知学区划分和报名所需材料，来电人表示清楚。",
                ),
                _handling(10),
            ),
        ),
    ),
    Group(
        "CMP-ORDER",
        "环境秩序",
        "Environment and public order",
        T.COMPLAINT,
        (
            Leaf(
                "CMP-NOISE",
                "噪音扰民",
                "Noise nuisance",
                "D-POLICE-CG",
                7,
                CaseText(
                    (
                        (
                            "{road}{no}号夜间噪音扰民",
                            "{place}{road}{no}号居民反映，楼下{shop}每天营业至深夜，音响声音很大，已持续{days}"
                            "天，严重影响休息。",
                        ),
                        (
                            "{estate}装修噪音扰民",
                            "{estate}{no}幢业主反映，楼上住户装修时间不规范，周末早上七点即开始施工，噪音扰民。",
                        ),
                        (
                            "{road}工地夜间施工噪音",
                            "居民反映，{road}工地连续{days}天夜间施工，机械轰鸣，周边{households}户居民无法"
                            "正常休息。",
                        ),
                    ),
                    "经现场核查，已责令相关经营者和施工方控制作业时间和音量，回访居民反映噪音明显减小。",
                ),
                _handling(5),
            ),
            Leaf(
                "CMP-STREET",
                "占道经营",
                "Street vending obstruction",
                "D-HOUSING",
                4,
                CaseText(
                    (
                        (
                            "{road}占道经营影响通行",
                            "群众反映，{road}{no}号附近{shop}长期占用人行道经营，行人只能走机动车道，存在安全"
                            "隐患。",
                        ),
                    ),
                    "已联合执法人员现场劝导，占道物品已清理，并纳入日常巡查。",
                ),
                _handling(10),
            ),
        ),
    ),
    Group(
        "CMP-MKT",
        "市场消费",
        "Markets and consumers",
        T.COMPLAINT,
        (
            Leaf(
                "CMP-FOOD",
                "食品安全",
                "Food safety",
                "D-MARKET",
                4,
                CaseText(
                    (
                        (
                            "{road}{shop}食品卫生问题",
                            "{surname}某投诉，在{road}{no}号{shop}就餐后出现腹泻症状，同桌{workers}人均有不适，"
                            "怀疑食品不洁。",
                        ),
                        (
                            "举报{shop}销售过期食品",
                            "群众举报，{place}{shop}货架上有多种过期食品仍在销售。",
                        ),
                    ),
                    "经县市场监管局现场检查，已责令经营者下架并销毁问题食品，依法立案调查。",
                    "company",
                ),
                _handling(5),
            ),
            Leaf(
                "CMP-PRICE",
                "价格欺诈",
                "Price fraud",
                "D-MARKET",
                2,
                CaseText(
                    (
                        (
                            "{shop}价格欺诈",
                            "{surname}某投诉，{road}{shop}标价与结算价不一致，多收{fee}元，商家拒绝退还。",
                        ),
                    ),
                    "经调解，商家已退还多收款项，并按规定整改明码标价。",
                    "company",
                ),
                _handling(15),
            ),
            Leaf(
                "CMP-MED",
                "医疗服务",
                "Medical services",
                "D-HEALTH",
                2,
                CaseText(
                    (
                        (
                            "反映县医院就诊排队时间过长",
                            "{surname}某反映，在县医院门诊挂号后等候{hours}小时仍未就诊，窗口人员态度生硬。",
                        ),
                    ),
                    "经县卫健局督促，医院已增加门诊窗口并加强服务培训，已向投诉人致歉。",
                ),
                _handling(15),
            ),
        ),
    ),
    Group(
        "DSP-CIVIL",
        "民间纠纷",
        "Civil disputes",
        T.DISPUTE,
        (
            Leaf(
                "DSP-NEIGH",
                "邻里纠纷",
                "Neighbour disputes",
                "D-JUSTICE-CG",
                8,
                CaseText(
                    (
                        (
                            "{road}{no}号邻里漏水纠纷",
                            "{surname}某反映，楼上{surname2}某家卫生间长期漏水，导致其家天花板发霉脱落，"
                            "双方多次协商未果。",
                        ),
                        (
                            "{place}邻居因排水沟发生纠纷",
                            "{place}村民{surname}某与邻居{surname2}某因房屋间排水沟走向发生争执，"
                            "双方言语冲突，请求调解。",
                        ),
                    ),
                    "经人民调解，双方达成协议：{surname2}某负责维修并赔偿损失{fee}元，双方已签字确认。",
                    "person",
                ),
            ),
            Leaf(
                "DSP-FAMILY",
                "婚姻家庭",
                "Marriage and family",
                "D-JUSTICE-CG",
                4,
                CaseText(
                    (
                        (
                            "赡养老人纠纷",
                            "{place}{surname}某（七十八岁）反映，其{workers}个子女对赡养费分担意见不一，"
                            "老人生活无着，请求调解。",
                        ),
                        (
                            "{place}夫妻财产分割纠纷",
                            "{surname}某与配偶协议离婚，就共同房产分割意见分歧较大，请求调解。",
                        ),
                    ),
                    "经调解，家庭成员达成赡养协议，约定每人每月支付赡养费{fee}元。",
                    "person",
                ),
            ),
            Leaf(
                "DSP-BOUND",
                "土地边界",
                "Land boundaries",
                "D-LAND-BS",
                5,
                CaseText(
                    (
                        (
                            "{place}宅基地边界纠纷",
                            "{place}村民{surname}某与{surname2}某因宅基地边界发生纠纷，"
                            "{surname2}某新建围墙占用其宅基地约{meters}米。",
                        ),
                        (
                            "{place}承包地界址争议",
                            "{place}{surname}某反映，邻户{surname2}某耕种时越界{meters}米，双方对承包地界址"
                            "各执一词。",
                        ),
                    ),
                    "经国土所现场测量，依据确权登记资料明确了界址，双方同意按测量结果重新立界。",
                    "person",
                ),
            ),
            Leaf(
                "DSP-PROPFEE",
                "物业费纠纷",
                "Property fee disputes",
                "D-CMTE-DM",
                3,
                CaseText(
                    (
                        (
                            "{estate}业主拒交物业费纠纷",
                            "{estate}物业公司反映，{households}户业主以服务不到位为由拒交物业费，累计欠费"
                            "{amount}元。",
                        ),
                    ),
                    "经社区调解，物业公司承诺整改服务，业主同意分期缴纳欠费。",
                    "company",
                ),
            ),
        ),
    ),
    Group(
        "DSP-ECON",
        "经济与劳动纠纷",
        "Economic and labour disputes",
        T.DISPUTE,
        (
            Leaf(
                "DSP-LABOUR",
                "劳动争议",
                "Labour disputes",
                "D-HRSS",
                6,
                CaseText(
                    (
                        (
                            "{company}解除劳动合同争议",
                            "{surname}某反映，{company}未提前通知即解除劳动合同，拒绝支付经济补偿金{amount}元。",
                        ),
                        (
                            "工伤待遇争议",
                            "{surname}某在{company}工作期间受伤，已认定工伤，双方对一次性伤残补助金金额分歧"
                            "较大。",
                        ),
                    ),
                    "经劳动争议调解，{company}同意支付经济补偿金{amount}元，双方签订调解协议。",
                    "company",
                ),
            ),
            Leaf(
                "DSP-DEMOL",
                "征地拆迁补偿",
                "Demolition compensation",
                "D-LAND-BS",
                3,
                CaseText(
                    (
                        (
                            "{place}房屋拆迁补偿纠纷",
                            "{place}{surname}某反映，其房屋被列入拆迁范围，评估面积比实际少{sqm}平方米，"
                            "对补偿金额{amount}元有异议。",
                        ),
                    ),
                    "经重新测量评估，补偿面积已更正，双方就补偿金额达成一致。",
                    "person",
                ),
            ),
        ),
    ),
    Group(
        "HAZ-FIRE",
        "消防安全",
        "Fire safety",
        T.HAZARD,
        (
            Leaf(
                "HAZ-RENTAL",
                "出租房消防隐患",
                "Fire hazards in rental housing",
                "D-EMERGENCY",
                5,
                CaseText(
                    (
                        (
                            "{road}{no}号出租房消防隐患",
                            "网格员巡查发现，{road}{no}号出租房分隔为{rooms}间出租，电动车在楼道内充电，"
                            "仅有一个疏散通道，未配灭火器。",
                        ),
                        (
                            "{place}群租房私拉电线",
                            "群众反映，{place}{road}一处群租房住有{rooms}户，私拉乱接电线，存在火灾隐患。",
                        ),
                    ),
                    "经消防部门检查，房东已拆除违规隔断、设置集中充电区并配齐灭火器，复查合格。",
                ),
                _rectification(15),
            ),
            Leaf(
                "HAZ-CORRIDOR",
                "楼道堆物",
                "Blocked escape routes",
                "D-EMERGENCY",
                2,
                CaseText(
                    (
                        (
                            "{estate}{no}幢楼道堆放杂物",
                            "{estate}{no}幢楼道和消防通道堆放大量纸箱杂物，堵塞疏散通道。",
                        ),
                    ),
                    "物业已组织清理楼道杂物，并张贴消防通道禁止堆物告示。",
                ),
                _rectification(7),
            ),
        ),
    ),
    Group(
        "HAZ-BUILD",
        "建筑与危化品",
        "Buildings and hazardous goods",
        T.HAZARD,
        (
            Leaf(
                "HAZ-DANGER",
                "危房",
                "Dangerous buildings",
                "D-HOUSING",
                2,
                CaseText(
                    (
                        (
                            "{place}老旧房屋墙体开裂",
                            "{place}{road}{no}号老旧房屋外墙出现多处裂缝，最宽处约{meters}厘米，住户{households}"
                            "户担心安全。",
                        ),
                    ),
                    "经鉴定为C级危房，已组织住户临时搬离并实施加固。",
                ),
                _rectification(30),
            ),
            Leaf(
                "HAZ-CHEM",
                "危化品",
                "Hazardous chemicals",
                "D-EMERGENCY",
                1,
                CaseText(
                    (
                        (
                            "{place}违规存放危化品",
                            "巡查发现，{place}{road}一处仓库违规存放液化气钢瓶{rooms}瓶，紧邻居民区。",
                        ),
                    ),
                    "应急管理部门已责令清除违规存放的危化品，并对经营者立案查处。",
                ),
                _rectification(7),
            ),
        ),
    ),
    Group(
        "INC",
        "突发事件",
        "Incidents",
        T.INCIDENT,
        (
            Leaf(
                "INC-FIRE",
                "火灾",
                "Fire",
                "D-EMERGENCY",
                1,
                CaseText(
                    (
                        (
                            "{road}{no}号民房起火",
                            "{road}{no}号民房二楼冒出浓烟，现场有人员被困，已拨打119。",
                        ),
                    ),
                    "消防救援人员及时扑灭明火，无人员伤亡，事故原因为电动车充电引发。",
                ),
            ),
            Leaf(
                "INC-COLLAPSE",
                "房屋倒塌",
                "Building collapse",
                "D-HOUSING",
                1,
                CaseText(
                    (
                        (
                            "{place}老旧房屋局部倒塌",
                            "受连续降雨影响，{place}一处老旧房屋后墙局部倒塌，需紧急疏散周边住户。",
                        ),
                    ),
                    "已疏散周边{households}户居民，设置警戒区，无人员伤亡，房屋已列入危房改造。",
                ),
            ),
            Leaf(
                "INC-CONFLICT",
                "群体冲突",
                "Group conflict",
                "D-POLICE-CG",
                1,
                CaseText(
                    (
                        (
                            "{road}工地发生群体性争执",
                            "{road}工地{workers}余名工人与项目方因工资结算发生争执，现场情绪激动。",
                        ),
                    ),
                    "派出所和人社部门到场处置，现场秩序恢复，工资结算问题已转入劳动保障监察处理。",
                ),
            ),
        ),
    ),
)

# --- slot values ---------------------------------------------------------------------------

SURNAMES = tuple("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋")
GIVEN_NAMES = (
    "伟",
    "芳",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "国强",
    "海燕",
    "志刚",
    "玉兰",
    "春梅",
    "建军",
    "红霞",
    "晓东",
    "文华",
    "德明",
    "金凤",
    "小龙",
    "永胜",
    "雪梅",
    "立新",
    "淑珍",
    "宏伟",
)
COMPANIES = (
    "青溪宏达建筑工程有限公司",
    "青溪县鑫源服装厂",
    "青溪永安物流有限公司",
    "青溪华府置业有限公司",
    "白石镇恒丰石材厂",
    "滨江新世纪商贸有限公司",
    "青溪县顺通汽车修理厂",
    "青溪绿源食品有限公司",
    "青溪县金鼎装饰工程有限公司",
    "青溪明辉电子科技有限公司",
    "青溪县兴业纺织有限公司",
    "青溪县长青园林绿化有限公司",
)
SHOPS = (
    "烧烤店",
    "KTV",
    "小超市",
    "水果店",
    "快餐店",
    "麻辣烫店",
    "奶茶店",
    "便利店",
    "农家乐",
    "面馆",
    "洗车店",
    "五金店",
)
ESTATES = (
    "阳光花园",
    "滨江名苑",
    "文昌小区",
    "青溪华府",
    "望江新村",
    "新湖家园",
    "东门公寓",
    "金色家园",
    "翠竹苑",
    "锦绣华庭",
)

CHANNELS_BY_TYPE: dict[str, tuple[str, ...]] = {
    T.PETITION: (C.WALK_IN, C.LETTER, C.WEB, C.RECEPTION_DAY, C.HIGHER_LEVEL, C.WALK_IN),
    T.REQUEST: (C.PHONE, C.HOTLINE_12345, C.WEB, C.WALK_IN, C.HOTLINE_12345, C.OPEN311),
    T.COMPLAINT: (C.PHONE, C.HOTLINE_12345, C.WEB, C.HOTLINE_12345, C.OPEN311, C.GRID),
    T.DISPUTE: (C.WALK_IN, C.GRID, C.PHONE, C.WALK_IN, C.LEADER_ASSIGNED),
    T.HAZARD: (C.GRID, C.INSPECTION, C.WEB, C.PHONE, C.GRID),
    T.INCIDENT: (C.PHONE, C.GRID, C.PHONE),
}

# --- what staff write at each step -----------------------------------------------------------

ACCEPT_NOTES = ("符合受理条件，予以受理", "材料齐全，予以受理", "属于本中心受理范围", "")
NOT_ACCEPT_REASONS = (
    ("已经或者依法应当通过诉讼解决的事项", "向青溪县人民法院提起诉讼"),
    ("反映事项已由上级机关受理，正在办理中", "等待青溪县信访局的处理意见"),
    ("属于纪检监察机关职责范围", "向青溪县纪委监委反映"),
    ("反映事项不明确，经告知仍未补充", "补充具体事实和诉求后重新提出"),
)
REDIRECTS = (
    (Procedure.LITIGATION, "属于民事纠纷，已超出调解范围，应通过诉讼解决"),
    (Procedure.ARBITRATION, "属于劳动争议，应先向劳动人事争议仲裁委员会申请仲裁"),
    (Procedure.RECONSIDERATION, "对行政处罚决定不服，应依法申请行政复议"),
    (Procedure.POLICE, "涉嫌违法犯罪，应由公安机关依法处理"),
)
DISPATCH_NOTES = ("请按期办理并及时反馈", "请核实情况后依法处理", "请会同属地乡镇共同处理", "")
SIGN_NOTES = ("已签收，安排专人办理", "已签收", "已签收，近日组织现场核查")
RETURN_REASONS = (
    "该事项不属于本部门职责范围，建议分派至属地乡镇",
    "事项涉及多个部门，需由中心统筹协调",
    "反映地址不详，无法核实，请补充信息",
)
EXTEND_REASONS = (
    "需委托第三方进行鉴定",
    "涉及多个部门会商，需延长办理期限",
    "当事人外出务工，需待其返乡",
)
SUSPEND_REASONS = ("等待司法鉴定结果", "等待法院司法确认", "等待听证会召开", "等待专业机构检测报告")
RESUME_NOTES = ("鉴定结果已出，恢复办理", "相关程序已完成，恢复办理")
SEND_BACK_REASONS = ("报告未说明法律依据，请补充", "答复内容与诉求不对应，请重新调查")
REPLY_CLOSINGS = (
    "如对本处理意见不服，可自收到本意见之日起三十日内向上一级机关申请复查。",
    "感谢您对我们工作的支持，如有疑问请联系承办单位。",
)
FOLLOW_UP_NOTES = {
    "satisfied": ("群众表示满意", "电话回访，群众对处理结果满意"),
    "basically_satisfied": ("群众表示基本满意", "群众认可处理结果，希望加强日常管理"),
    "unsatisfied": ("群众表示问题未彻底解决", "群众对处理结果不满意，要求重新办理"),
}
REOPEN_REASONS = ("群众反映问题反弹，重新办理", "回访发现问题未解决")
ESCALATE_REASONS = (
    "涉及多个部门，需县级统筹协调",
    "事项复杂，超出乡镇处置能力",
    "群众诉求涉及县级政策",
)
CLOSE_NOTES = ("办结归档", "群众满意，予以结案", "")

# Who stands the A and B posts of each centre's 24-hour duty roster, in rotation.
DUTY_POOLS = {
    COUNTY_CENTRE: ("clerk", "dispatcher", "supervisor", "leader_li"),
    _centre("001"): ("clerk_cg", "grid_worker", "mediator"),
    _centre("002"): ("clerk_bj", "grid_bj"),
    _centre("101"): ("clerk_bs", "dispatcher_bs", "mediator_bs"),
}
# A township centre with its own dispatcher shares the work with the county dispatcher.
CENTRE_DISPATCHERS = {_centre("101"): "dispatcher_bs"}
