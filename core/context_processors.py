from django.conf import settings

from .navigation import areas_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    areas = areas_for(user) if user is not None and user.is_authenticated else []
    return {"nav_areas": areas, "site_name": settings.SITE_NAME}
