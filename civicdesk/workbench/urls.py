"""The staff workbench. Each part keeps its own URL list; this file only joins them."""

from civicdesk.workbench import shell
from civicdesk.workbench.casepage import urls as casepage_urls
from civicdesk.workbench.intake import urls as intake_urls
from civicdesk.workbench.queue import urls as queue_urls

app_name = "workbench"
urlpatterns = (
    shell.urlpatterns
    + intake_urls.urlpatterns
    + queue_urls.urlpatterns
    + casepage_urls.urlpatterns
)
