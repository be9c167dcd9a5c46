"""Sign-in, sign-out, password change and the home page every role lands on."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts import urls as two_factor_urls
from civicdesk.cases.choices import Action
from civicdesk.cases.permissions import ACTION_ROLES, roles_of
from civicdesk.workbench.home import home_queues


class LoginView(auth_views.LoginView):
    template_name = "workbench/registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Set by the idle-timeout middleware when it signed this browser out.
        context["idle_logout"] = self.request.session.pop("civicdesk_idle_logout", False)
        return context


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = set(roles_of(request.user))
    return render(
        request,
        "workbench/home.html",
        {
            "queues": home_queues(request.user),
            "may_register": bool(roles & ACTION_ROLES[Action.CREATE]),
        },
    )


urlpatterns = [
    path("", home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="workbench/registration/password_change.html",
            success_url=reverse_lazy("workbench:password_change_done"),
            extra_context={"title": _("Change password")},
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="workbench/registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
    # The second sign-in step for privileged roles (docs/decisions/0029).
    *two_factor_urls.urlpatterns,
]
