"""WSGI entry point, for servers that do not speak ASGI (the live stream needs ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anpr_site.settings")

application = get_wsgi_application()
