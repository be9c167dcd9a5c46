from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "civicdesk.accounts"
    label = "accounts"
    verbose_name = _("Sign-in security")

    def ready(self) -> None:
        from civicdesk.accounts.policy import check_two_factor_roles

        check_two_factor_roles()
