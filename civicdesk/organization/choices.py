from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township / street")
    VILLAGE = "village", _("Village / community")
    GRID = "grid", _("Grid")
    SUBGRID = "subgrid", _("Sub-grid")


# A child area is always exactly one level below its parent.
AREA_LEVEL_ORDER = [level.value for level in AreaLevel]


class DepartmentKind(models.TextChoices):
    POLICE = "police", _("Police station")
    JUDICIAL = "judicial", _("Judicial office (people's mediation)")
    PETITION = "petition", _("Petition office")
    LAND = "land", _("Land office")
    CONSTRUCTION = "construction", _("Urban construction")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    HUMAN_RESOURCES = "human_resources", _("Human resources and social security")
    MARKET = "market", _("Market regulation")
    EMERGENCY = "emergency", _("Emergency management / fire")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    COURT = "court", _("Court")
    COMMITTEE = "committee", _("Village / community committee")
    MEDIATION_COMMITTEE = "mediation_committee", _("People's mediation committee")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    CLERK = "clerk", _("Intake clerk")
    DISPATCHER = "dispatcher", _("Dispatcher")
    HANDLER = "handler", _("Handler")
    DEPT_HEAD = "dept_head", _("Department head")
    LEADER = "leader", _("Responsible leader")
    SUPERVISOR = "supervisor", _("Supervisor")
    GRID_WORKER = "grid_worker", _("Grid worker")
    MEDIATOR = "mediator", _("Mediator")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class DutyPost(models.TextChoices):
    A = "A", _("Post A (lead)")
    B = "B", _("Post B (backup)")
