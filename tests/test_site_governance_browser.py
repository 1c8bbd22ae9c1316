"""End to end in Chromium: the intelligence lead registers a site, assesses it, writes its DPIA
and consults; a senior officer and the data protection officer approve; the site goes live, is
reviewed later, and is decommissioned, after which its camera's reads are refused."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from cameras.services import camera_credential_issue
from deployments.models import Site
from tests.conftest import screenshot
from tests.factories import CameraFactory
from tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_intelligence_lead_takes_a_site_from_proposal_to_decommissioning(browser, server, personas):
    def page_for(persona):
        page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.console_errors = errors
        sign_in(page, server, persona)
        return page

    lead = page_for("intel")
    lead.goto(f"{server.url}/sites/new/")
    form = lead.get_by_test_id("site-form")
    form.get_by_label("Reference").fill("NT-A14-07")
    form.get_by_label("Name").fill("A14 Girton interchange")
    form.get_by_label("Area").fill("Northtown")
    form.get_by_label("Latitude").fill("52.2412")
    form.get_by_label("Longitude").fill("0.0871")
    form.get_by_role("button", name="Register the site").click()
    expect(lead.get_by_test_id("site-status")).to_have_text("Proposed")
    site = Site.objects.get(reference="NT-A14-07")
    camera = CameraFactory(site=site, reference="CAM-A14-07N")

    lead.get_by_role("link", name="Write it").first.click()
    form = lead.get_by_test_id("assessment-form")
    for factor, rating in (("national_security", "Low"), ("serious_crime", "High"),
                           ("local_crime", "High"), ("community", "Medium")):  # fmt: skip
        fieldset = form.locator(f"fieldset[data-factor='{factor}']")
        fieldset.get_by_label("Rating").select_option(label=rating)
        fieldset.get_by_label("Crime figures").fill("212 burglaries and 40 vehicle thefts in 2026")
    form.get_by_label("Pressing need").fill("Travelling burglary gangs use the A14 at night.")
    form.get_by_label("Less intrusive alternatives considered").fill("Patrols: no effect.")
    form.get_by_label("More intrusive alternatives considered").fill("Video CCTV: not needed.")
    form.get_by_label("Expected effectiveness").fill("Hits on wanted vehicles; reviewed yearly.")
    form.get_by_role("button", name="Submit for decision").click()
    expect(lead.get_by_test_id("decision")).to_have_text("Waiting for a decision")
    screenshot(lead, "site-assessment-written")

    lead.goto(f"{server.url}/sites/{site.pk}/dpia/")
    form = lead.get_by_test_id("dpia-form")
    for row in form.locator(".screening").all():
        row.get_by_label("Yes").check()
    risk = form.locator("fieldset[data-risk='1']")
    risk.get_by_label("Description").fill("Residents' journeys are recorded every day.")
    risk.get_by_label("Likelihood").select_option(label="Probable")
    risk.get_by_label("Severity").select_option(label="Significant")
    risk.get_by_label("Mitigation").fill("90-day search window; every search audited.")
    risk.get_by_label("Residual risk").select_option(label="Low")
    form.get_by_label("Overall residual risk").select_option(label="Low")
    form.get_by_role("button", name="Submit for sign-off").click()
    expect(lead.get_by_test_id("risks")).to_contain_text("High")  # probable x significant

    lead.goto(f"{server.url}/sites/{site.pk}/")
    lead.get_by_text("Record a consultation, or why there is none").click()
    form = lead.get_by_test_id("consultation-form")
    form.get_by_label("How").select_option(label="Public meeting")
    form.get_by_label("Consultee").fill("Girton parish council")
    form.get_by_label("Consulted on").fill(timezone.localdate().isoformat())
    form.get_by_label("Response").fill("Supportive; asked for the yearly figures.")
    form.get_by_role("button", name="Record it").click()
    expect(lead.get_by_test_id("consultations")).to_contain_text("Girton parish council")
    lead.get_by_role("button", name="Mark assessed").click()
    expect(lead.get_by_test_id("site-status")).to_have_text("Assessed")
    lifecycle = lead.get_by_test_id("lifecycle")
    expect(lifecycle.get_by_role("button", name="Mark approved")).to_be_disabled()
    expect(lifecycle).to_contain_text("The deployment assessment is not approved.")
    screenshot(lead, "site-waiting-for-approvals")

    senior = page_for("senior")
    senior.goto(f"{server.url}/sites/")
    senior.get_by_test_id("waiting-assessments").get_by_role("link").click()
    senior.get_by_role("button", name="Approve").click()
    expect(senior.get_by_test_id("decision")).to_have_text("Approved")

    dpo = page_for("auditor")
    dpo.goto(f"{server.url}/sites/")
    dpo.get_by_test_id("waiting-dpias").get_by_role("link").click()
    dpo.get_by_label("Reason or advice").fill("Proportionate; publish the figures yearly.")
    dpo.get_by_role("button", name="Approve").click()
    expect(dpo.get_by_test_id("decision")).to_have_text("Approved")
    dpo.goto(f"{server.url}/sites/{site.pk}/")
    expect(dpo.get_by_test_id("site-facts")).to_contain_text("Northtown")
    expect(dpo.get_by_test_id("site-facts")).not_to_contain_text("52.2412")

    lead.reload()
    lead.get_by_role("button", name="Mark approved").click()
    expect(lead.get_by_test_id("site-status")).to_have_text("Approved")
    lead.get_by_role("button", name="Mark live").click()
    expect(lead.get_by_test_id("site-status")).to_have_text("Live")
    lead.goto(f"{server.url}/sites/")
    expect(lead.get_by_test_id("sites-map")).to_have_attribute("data-ready", "1")
    screenshot(lead, "sites-register-and-map")

    # A year on: the review is due.
    Site.objects.filter(pk=site.pk).update(next_review_due=timezone.localdate() - timedelta(days=1))
    lead.goto(f"{server.url}/sites/reviews/")
    expect(lead.get_by_test_id("reviews-due")).to_contain_text("overdue")
    lead.get_by_role("link", name="NT-A14-07").click()
    lead.get_by_role("button", name="Start the review").click()
    expect(lead.get_by_test_id("evidence")).to_contain_text("Reads per day")
    form = lead.get_by_test_id("review-form")
    form.get_by_label("Findings").fill("No hits in the year; the gangs now use the A428.")
    form.get_by_label("Decommission").check()
    screenshot(lead, "site-review")
    form.get_by_role("button", name="Record the review").click()
    expect(lead.get_by_test_id("site-status")).to_have_text("Decommissioned")
    expect(lead.get_by_test_id("site-history")).to_contain_text("Under review → Decommissioned")
    screenshot(lead, "site-decommissioned")

    token = camera_credential_issue(camera=camera, acting_user=None)[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Camera {token}")
    read = {"capture_id": "1", "vrm": "AB12CDE", "captured_at": timezone.now().isoformat()}
    response = api.post("/api/v1/cameras/reads/", {"reads": [read]}, format="json")
    assert response.status_code == 403
    assert "is decommissioned" in response.json()["detail"]
    for page in (lead, senior, dpo):
        assert page.console_errors == []
