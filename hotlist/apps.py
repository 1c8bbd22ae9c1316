from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class HotlistConfig(AppConfig):
    name = "hotlist"
    verbose_name = "Hotlists and alerts"

    def ready(self) -> None:
        from django_eventstream.views import get_listener_manager

        from .events import LastingRedisListener
        from .models import Hotlist, HotlistEntry

        manager = get_listener_manager()  # made at import; its listener starts with a stream
        if manager.redis_listener is not None:
            manager.redis_listener = LastingRedisListener()

        # Any saved or deleted list or entry, however it was changed, makes the workers' matching
        # indexes stale. (Bulk writes bypass signals: services that use them bump themselves.)
        for model in (Hotlist, HotlistEntry):
            post_save.connect(_bump, sender=model, dispatch_uid=f"bump-{model.__name__}")
            post_delete.connect(_bump, sender=model, dispatch_uid=f"bump-del-{model.__name__}")
        # Every entry change is numbered, for mobile units that sync by revision.
        post_save.connect(_entry_changed, sender=HotlistEntry, dispatch_uid="entry-change-save")
        post_delete.connect(_entry_changed, sender=HotlistEntry, dispatch_uid="entry-change-del")


def _bump(**kwargs) -> None:
    from .matching import bump_version

    bump_version()


def _entry_changed(instance, signal, **kwargs) -> None:
    from .models import EntryChange

    kind = EntryChange.Kind.REMOVED if signal is post_delete else EntryChange.Kind.SAVED
    EntryChange.objects.create(hotlist_id=instance.hotlist_id, entry_id=instance.pk, kind=kind)
