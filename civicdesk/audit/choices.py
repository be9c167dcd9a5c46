from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessAction(models.TextChoices):
    """What was read. A new kind of read gets a new value here, never a reused one."""

    VIEW_CASE = "view_case", _("Opened a case page")
    VIEW_CASE_API = "view_case_api", _("Read a case through the API")
    EXPORT_LIST = "export_list", _("Exported the case list")
    PRINT_DOCUMENT = "print_document", _("Printed or downloaded a document")
    REVEAL = "reveal", _("Revealed personal data")
    EXPORT_ACCESS_LOG = "export_access_log", _("Exported the access log")


class AccessChannel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
