from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "civicdesk.open311"
    label = "open311"
    verbose_name = _("Open311 API")

    def ready(self) -> None:
        from civicdesk.organization.geo import clear_area_index
        from civicdesk.organization.models import Area

        # A changed boundary must route the next report: drop this process's area index.
        post_save.connect(clear_area_index, sender=Area, dispatch_uid="open311_area_saved")
        post_delete.connect(clear_area_index, sender=Area, dispatch_uid="open311_area_deleted")
