"""Odd values typed or tampered into pages' addresses and forms (an impossible date, a page past
any result, a digit such as ², a NUL character, a read id that is none): each answers with a
clear refusal, or as if nothing matched, never a server error."""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from access.models import OffenceCategory
from tests.factories import CameraFactory
from tests.test_ingest import ingest, plain_read

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("read_store")]

WHY = "Linked vehicle seen near the scene of the robbery on the night."


@pytest.fixture
def searched(client_for, offence_categories):
    """An investigator who has searched (the session holds the search's purpose)."""
    ingest(CameraFactory(), [plain_read("AB12CDE", timezone.now() - timedelta(days=3))])
    client = client_for("investigator")
    page = client.post("/search/", search_form())
    assert page.status_code == 200 and "1 read" in page.content.decode()
    return client


def search_form(**fields) -> dict:
    since = (timezone.now() - timedelta(days=30)).isoformat()
    return {"category": OffenceCategory.objects.get(name="Robbery").pk,
            "case_reference": "NT/12345/26", "justification": WHY, "plate": "AB12CDE",
            "captured_from": since, **fields}  # fmt: skip


def test_a_page_past_any_result_is_refused_by_the_form_and_the_api(searched):
    page = searched.post("/search/", search_form(page=10**17)).content.decode()
    assert "less than or equal to 100000" in page
    api = searched.post("/api/v1/reads/search/", {**search_form(), "category": "Robbery",
                                                  "page": 10**17},
                        content_type="application/json")  # fmt: skip
    assert api.status_code == 400 and "less than or equal to 100000" in api.json()["page"][0]


def test_an_impossible_date_in_an_address_is_no_date(client_for, searched):
    at = "2026-02-30T10:00"
    assert searched.get(f"/search/reads/{uuid.uuid4()}/image/plate/",
                        {"vrm": "AB12CDE", "at": at}).status_code == 404  # fmt: skip
    auditor = client_for("auditor")
    for query in ({"since": "2026-02-30"}, {"until": "2026-13-01"}):
        assert auditor.get("/access/audit/", query).status_code == 200


def test_a_read_ticked_for_a_hold_with_no_read_id_makes_no_hold(searched):
    review_on = (timezone.localdate() + timedelta(days=30)).isoformat()
    for read in (f"AB12CDE|{timezone.now().isoformat()}|not-a-uuid",
                 f"AB12CDE|2026-02-30T10:00|{uuid.uuid4()}"):  # fmt: skip
        response = searched.post("/search/hold/", {"read": read, "reason": WHY,
                                                   "review_on": review_on})  # fmt: skip
        assert response.status_code == 302
        assert "No hold was made" in str(list(get_messages(response.wsgi_request))[-1])


def test_a_number_in_other_digits_names_nothing(client_for):
    assert client_for("senior").post("/access/decisions/", {"request": "²"}).status_code == 404
    auditor = client_for("auditor")
    assert auditor.post("/access/audit/", {"action": "review", "review": "²"}).status_code == 404


def test_a_nul_character_in_an_address_is_refused_naming_it(client_for):
    page = client_for("auditor").get("/access/audit/", {"user": "a\x00b"})
    assert page.status_code == 400 and "NUL character" in page.content.decode()
    api = client_for("investigator").get("/api/v1/sites/", {"area": "\x00"})
    assert api.status_code == 400 and "NUL character" in api.json()["detail"]


def test_a_new_search_starts_at_its_first_page(searched):
    ingest(CameraFactory(), [plain_read("XY12ZZZ", timezone.now() - timedelta(hours=n + 1),
                                        capture_id=f"x{n}") for n in range(150)])  # fmt: skip
    page = searched.post("/search/", search_form(plate="XY12ZZZ", page=2)).content.decode()
    assert "Page 2 of 2" in page
    # Only the pager's buttons carry a page: the Search button sends none, so page 1.
    assert re.findall(r'<input[^>]*name="page"', page) == []
    assert 'name="page" value="1">Previous' in page
