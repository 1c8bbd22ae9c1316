"""End to end in Chromium: each demo persona signs in and sees its own navigation."""

import pytest
from django.contrib.auth.models import User

from core.navigation import AREAS_BY_KEY
from tests.conftest import screenshot
from tests.factories import PASSWORD, totp_code
from tests.test_access import AREAS_BY_PERSONA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, server, username):
    page.goto(f"{server.url}/")
    assert "/login/" in page.url  # anonymous visitors are sent to sign in
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # The second step: the code the persona's authenticator app shows.
    page.wait_for_url(f"{server.url}/access/verify/**")
    page.fill("#id_token", totp_code(User.objects.get(username=username)))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{server.url}/")


@pytest.mark.parametrize("persona", ["operator", "investigator", "senior", "intel", "hotlists",
                                     "auditor", "admin", "inspector"])  # fmt: skip
def test_persona_signs_in_and_sees_its_own_navigation(page, server, personas, persona):
    sign_in(page, server, persona)
    nav = page.locator("nav.nav a").all_inner_texts()
    expected = AREAS_BY_PERSONA[persona]
    assert nav == [a.title for key, a in AREAS_BY_KEY.items() if key in expected]
    screenshot(page, f"home-{persona}")

    first = next(key for key in AREAS_BY_KEY if key in expected)
    page.click(f"nav.nav a[data-area='{first}']")
    if first == "alerts":
        assert page.get_by_test_id("queue-empty").is_visible()
    elif first != "administration":
        assert page.get_by_test_id("empty-state").inner_text() == AREAS_BY_KEY[first].empty
    assert page.console_errors == []


def test_wrong_password_is_refused_without_saying_whether_the_user_exists(page, server, personas):
    messages = []
    for username in ("operator", "no-such-user"):
        page.goto(f"{server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "wrong-password-123")
        page.click("button[type=submit]")
        messages.append(page.get_by_role("alert").inner_text())
    assert messages[0] == messages[1]
    assert "correct username and password" in messages[0]
    screenshot(page, "login-refused")


def test_sign_out_ends_the_session(page, server, personas):
    sign_in(page, server, "auditor")
    page.click("text=Sign out")
    page.goto(f"{server.url}/access/audit/")
    assert "/login/" in page.url
