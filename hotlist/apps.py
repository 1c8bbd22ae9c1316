from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class HotlistConfig(AppConfig):
    name = "hotlist"
    verbose_name = "Hotlists and alerts"

    def ready(self) -> None:
        from .models import Hotlist, HotlistEntry

        # Any saved or deleted list or entry, however it was changed, makes the workers' matching
        # indexes stale. (Bulk writes bypass signals: services that use them bump themselves.)
        for model in (Hotlist, HotlistEntry):
            post_save.connect(_bump, sender=model, dispatch_uid=f"bump-{model.__name__}")
            post_delete.connect(_bump, sender=model, dispatch_uid=f"bump-del-{model.__name__}")


def _bump(**kwargs) -> None:
    from .matching import bump_version

    bump_version()
