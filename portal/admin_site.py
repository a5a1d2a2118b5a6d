from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class KachiAdminSite(admin.AdminSite):
    site_header = _("Kachi administration")
    site_title = _("Kachi admin")
    index_title = _("Data and settings")
    site_url = "/"
