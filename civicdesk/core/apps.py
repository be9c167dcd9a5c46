from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "civicdesk.core"
    label = "core"
    verbose_name = _("Calendar and shared parts")

    def ready(self) -> None:
        from civicdesk.core import checks, signals  # noqa: F401
