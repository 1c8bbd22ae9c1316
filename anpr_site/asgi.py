"""ASGI entry point: pages, the API and (later) the live alert stream."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anpr_site.settings")

application = get_asgi_application()
