"""OpenAPI descriptions for the project's authentication schemes."""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ProjectSessionScheme(SessionScheme):
    target_class = "core.api.SessionAuthentication"


class CameraScheme(OpenApiAuthenticationExtension):
    target_class = "cameras.api.authentication.CameraAuthentication"
    name = "cameraCredential"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Camera <key_id>.<secret>`: the camera's own credential.",
        }
