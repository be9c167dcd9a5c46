"""django-otp's own device pages are taken off the admin site: they show the secrets, and an
administrator who could copy a leader's authenticator would hold that leader's second factor.
Administrators reset a staff member's devices with the staff list's action instead
(civicdesk.accounts.admin_actions.reset_two_factor).
"""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
