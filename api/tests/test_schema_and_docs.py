import pytest
import yaml
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_schema_is_openapi_3_with_every_collection(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    for path in [
        "/api/v1/clients/",
        "/api/v1/clients/bulk/",
        "/api/v1/messages/{id}/",
        "/api/v1/mailings/{id}/send/",
        "/api/v1/mailings/{id}/disable/",
        "/api/v1/attempts/{id}/deliveries/",
    ]:
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_docs_come_from_our_own_static_files_under_our_csp(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and "https://" not in html
    for name in ["swagger-ui-bundle.js", "swagger-ui.css"]:
        assert f"/static/drf_spectacular_sidecar/swagger-ui-dist/{name}" in html
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}")
    # The page's own script is a file too: the site's CSP allows no inline script.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert (
        "unsafe-inline"
        not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_unknown_api_paths_are_problem_documents(client):
    response = client.get("/api/v1/nothing/here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_without_a_csp_violation(page, live_server):
    problems = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/api/v1/docs/")
    page.locator(".swagger-ui .info .title").filter(has_text="Rassylka API").wait_for()
    page.locator("text=/api/v1/clients/bulk/").first.wait_for()
    assert problems == []
