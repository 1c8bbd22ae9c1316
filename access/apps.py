from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate, post_save


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access control and audit"

    def ready(self) -> None:
        from django.contrib.auth.models import User

        from .mfa import session_start
        from .roles import sync_role_permissions
        from .services import sessions_end_if_disabled

        post_migrate.connect(sync_role_permissions, sender=self)
        user_logged_in.connect(session_start, dispatch_uid="access.session_start")
        post_save.connect(sessions_end_if_disabled, sender=User,
                          dispatch_uid="access.sessions_end_if_disabled")  # fmt: skip
