"""End to end in Chromium: extended access asked, approved by another officer, used for an older
search; a legal hold asked from the results, approved and used; all of it seen by the auditor."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import screenshot
from tests.factories import CameraFactory
from tests.test_browser import sign_in
from tests.test_ingest import ingest, plain_read

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("read_store", "offence_categories"),
]
CASE = "NT/12345/26"
WHY = "The suspect vehicle in the robbery was seen near the scene in the summer."


def local(days_back: int, fmt: str) -> str:
    # Noon, never in a clock change's missing or doubled hour.
    moment = timezone.localtime() - timedelta(days=days_back)
    return moment.replace(hour=12, minute=0).strftime(fmt)


def test_extended_access_and_a_legal_hold_asked_approved_used_and_audited(
    browser, server, personas
):
    now = timezone.now()
    ingest(CameraFactory(name="A14 eastbound"), [
        plain_read("AB12CDE", captured_at=now - timedelta(days=days), capture_id=str(days))
        for days in (10, 100)
    ])  # fmt: skip

    def page_for(persona):
        page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
        sign_in(page, server, persona)
        return page

    investigator = page_for("investigator")
    investigator.goto(f"{server.url}/access/requests/")
    form = investigator.get_by_test_id("request-form")
    form.get_by_label("Offence category").select_option(label="Robbery (serious)")
    form.get_by_label("Incident or crime reference").fill(CASE)
    form.get_by_label("Justification").fill(WHY)
    form.get_by_label("From day").fill(local(150, "%Y-%m-%d"))
    form.get_by_label("To day").fill(local(80, "%Y-%m-%d"))
    form.get_by_role("button", name="Ask for extended access").click()
    expect(investigator.get_by_test_id("request-status")).to_have_text("Waiting for a decision")

    senior = page_for("senior")
    senior.goto(f"{server.url}/access/decisions/")
    waiting = senior.get_by_test_id("waiting")
    expect(waiting).to_contain_text(CASE)
    waiting.get_by_role("button", name="Approve").click()
    expect(senior.get_by_test_id("grants")).to_contain_text(CASE)
    screenshot(senior, "decisions-approved")

    investigator.goto(f"{server.url}/search/")
    search = investigator.get_by_test_id("search-form")
    search.get_by_label("Offence category").select_option(label="Robbery (serious)")
    search.get_by_label("Incident or crime reference").fill(CASE)
    search.get_by_label("Justification").fill(WHY)
    search.get_by_label("Plate", exact=True).fill("AB12 CDE")
    search.get_by_label("From").fill(local(120, "%Y-%m-%dT%H:%M"))
    search.get_by_role("button", name="Search").click()
    results = investigator.get_by_test_id("results")
    expect(results).to_contain_text("2 reads")
    expect(investigator.get_by_test_id("window")).to_contain_text(
        f"extended access for case {CASE}"
    )
    screenshot(investigator, "search-with-grant")

    # Keep the older read past retention for the prosecution: tick it, ask for a hold.
    # The read's own local day (100 days back at 23:30 in winter is the next day in summer time).
    older = timezone.localtime(now - timedelta(days=100))
    results.get_by_role("checkbox", name=f"Hold the read of AB12CDE at {older:%d %b %Y}").check()
    hold_form = investigator.get_by_test_id("hold-form")
    hold_form.get_by_label("Why the ticked reads must be kept").fill(WHY)
    hold_form.get_by_label("Review by").fill(local(-90, "%Y-%m-%d"))
    hold_form.get_by_role("button", name="Ask for a legal hold").click()
    expect(investigator.get_by_test_id("hold-status")).to_have_text("Waiting for approval")
    expect(investigator.locator(".facts")).to_contain_text("1 read kept")

    senior.goto(f"{server.url}/access/decisions/")
    senior.get_by_test_id("holds-waiting").get_by_role("link").click()
    senior.get_by_test_id("decide-form").get_by_role("button", name="Approve").click()
    expect(senior.get_by_test_id("hold-status")).to_have_text("In force")

    investigator.reload()
    investigator.get_by_role("button", name="Show the held reads").click()
    expect(investigator.get_by_test_id("held-reads")).to_contain_text("AB12CDE")
    screenshot(investigator, "legal-hold-reads")

    auditor = page_for("auditor")
    auditor.goto(f"{server.url}/access/audit/?case={CASE}")
    audit = auditor.get_by_test_id("audit")
    for action in ("Extended access asked", "Extended access decided", "Search",
                   "Legal hold asked", "Legal hold decided", "Held reads viewed"):  # fmt: skip
        expect(audit).to_contain_text(action)
    expect(audit.locator("tr", has_text="Search")).to_contain_text("investigator")
    screenshot(auditor, "audit-case")
    auditor.goto(f"{server.url}/retention/")
    expect(auditor.get_by_test_id("holds")).to_contain_text(CASE)
    expect(auditor.get_by_test_id("policy")).to_contain_text("365 days")
    for page in (investigator, senior, auditor):
        page.context.close()
