from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = "Shared plumbing"

    def ready(self) -> None:
        from . import schema  # noqa: F401 - registers the OpenAPI extensions


class AnprAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "core.admin.AnprAdminSite"
