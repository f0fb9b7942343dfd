import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_a_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    # The nonce appears only when a page uses it; inline scripts never are allowed.
    assert script_src.startswith("script-src 'self'")
    assert "unsafe-inline" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_https_responses_carry_hsts(client):
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_templates_have_no_inline_scripts_without_a_nonce():
    """CSP blocks them: every <script> must load a file or carry the nonce."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for template in root.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        for tag in re.findall(r"<script\b[^>]*>", template.read_text()):
            if "src=" not in tag and "nonce=" not in tag:
                offenders.append(f"{template.relative_to(root)}: {tag}")
    assert offenders == []
