"""API views for access control: each declares `required_permissions` (deny by default)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import errors
from core.navigation import areas_for

from ..selectors import user_roles


class MeView(APIView):
    """Who the caller is, which roles they hold and which work areas they may open."""

    required_permissions: tuple[str, ...] = ()

    @extend_schema(
        responses={
            200: inline_serializer(
                "Me",
                {
                    "username": serializers.CharField(),
                    "full_name": serializers.CharField(),
                    "roles": serializers.ListField(child=serializers.CharField()),
                    "areas": serializers.ListField(child=serializers.CharField()),
                },
            ),
            **errors(401),
        }
    )
    def get(self, request):
        return Response(
            {
                "username": request.user.get_username(),
                "full_name": request.user.get_full_name(),
                "roles": [role.value for role in user_roles(request.user)],
                "areas": [area.key for area in areas_for(request.user)],
            }
        )
