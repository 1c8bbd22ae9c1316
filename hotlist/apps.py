from django.apps import AppConfig


class HotlistConfig(AppConfig):
    name = "hotlist"
    verbose_name = "Hotlists and alerts"
