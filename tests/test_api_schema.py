"""The API publishes a valid OpenAPI document and a browsable page, to signed-in users."""

import pytest
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_schema_is_valid_openapi_and_lists_the_api(client_for):
    response = client_for("investigator").get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert "/api/v1/cameras/reads/" in schema["paths"]
    assert "cameraCredential" in schema["components"]["securitySchemes"]


def test_schema_and_docs_need_a_signed_in_user(client, client_for):
    assert client.get("/api/v1/schema/").status_code == 401
    assert client.get("/api/v1/docs/").status_code == 401
    docs = client_for("operator").get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
