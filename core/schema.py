"""OpenAPI descriptions for the project's own API plumbing."""

from drf_spectacular.authentication import SessionScheme


class ProjectSessionScheme(SessionScheme):
    target_class = "core.api.SessionAuthentication"
