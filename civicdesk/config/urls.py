from django.contrib import admin
from django.urls import include, path

from civicdesk.cases.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("supervision/", include("civicdesk.supervision.urls")),
    path("documents/", include("civicdesk.documents.urls")),
    path("audit/", include("civicdesk.audit.urls")),
    path("open311/v2/", include("civicdesk.open311.urls")),
    # The resident portal (/portal/, /track/) before the workbench, which owns the rest of "/".
    path("", include("civicdesk.portal.urls")),
    path("", include("civicdesk.workbench.urls")),
]
