"""Roles and deny-by-default: each persona gets its own pages and nothing else."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, User
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from access.roles import ROLE_PERMISSIONS, Role
from access.services import user_roles_set
from core.navigation import AREAS

pytestmark = pytest.mark.django_db

# Who may open which work area: the explicit table the pages are checked against.
AREAS_BY_PERSONA = {
    "operator": {"alerts"},
    "investigator": {"search", "requests", "holds"},
    "investigator2": {"search", "requests", "holds"},
    "senior": {"decisions", "sites"},
    "intel": {"sites"},
    "hotlists": {"hotlists"},
    "auditor": {"audit", "sites", "retention"},
    "admin": {"cameras", "administration", "sites", "retention"},
    "inspector": {"alerts", "decisions", "sites"},
    "nobody": set(),
}
PAGE_AREAS = [area for area in AREAS if area.key != "administration"]
# Pages anyone may open without signing in; everything else is denied by default.
PUBLIC_URL_NAMES = {"login", "healthz", "public_statistics"}


def test_every_role_group_holds_exactly_its_permissions():
    for role, expected in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert held == set(expected), role


@pytest.mark.parametrize("persona", AREAS_BY_PERSONA)
def test_home_page_shows_each_persona_its_own_work(client_for, persona):
    page = client_for(persona).get(reverse("home"))
    assert page.status_code == 200
    shown = {area.key for area in page.context["areas"]}
    assert shown == AREAS_BY_PERSONA[persona]
    for area in AREAS:
        link = f'data-area="{area.key}"'
        assert (link in page.content.decode()) == (area.key in AREAS_BY_PERSONA[persona])


@pytest.mark.parametrize("persona", AREAS_BY_PERSONA)
@pytest.mark.parametrize("area", PAGE_AREAS, ids=lambda area: area.key)
def test_area_page_is_open_to_its_roles_and_forbidden_to_others(client_for, persona, area):
    page = client_for(persona).get(reverse(area.url_name))
    if area.key in AREAS_BY_PERSONA[persona]:
        assert page.status_code == 200
        assert area.empty in page.content.decode()
    else:
        assert page.status_code == 403
        assert area.empty not in page.content.decode()


@pytest.mark.parametrize("area", PAGE_AREAS, ids=lambda area: area.key)
def test_anonymous_visitor_is_sent_to_login(client, area):
    url = reverse(area.url_name)
    page = client.get(url)
    assert page.status_code == 302
    assert page["Location"] == f"{reverse('login')}?next={url}"


def _all_url_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _all_url_patterns(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}", pattern


def test_every_page_and_api_route_denies_anonymous_visitors(client):
    checked = 0
    for name, pattern in _all_url_patterns():
        takes_arguments = pattern.pattern.regex.groupindex  # converters or named groups
        if name in PUBLIC_URL_NAMES or name.startswith("admin:") or takes_arguments:
            continue
        url = reverse(name)
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code == 401, name
        else:
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("login")), name
        checked += 1
    assert checked >= len(PAGE_AREAS) + 3


def test_admin_site_is_open_to_administrators_only(client_for):
    assert client_for("admin").get(reverse("admin:index")).status_code == 200
    for persona in ("operator", "investigator", "auditor", "nobody"):
        response = client_for(persona).get(reverse("admin:index"))
        assert response.status_code == 302, persona
        assert response["Location"].startswith(reverse("admin:login"))
    # The admin's own sign-in page hands over to the one sign-in page.
    assert client_for("nobody").get(reverse("admin:login"))["Location"].startswith(reverse("login"))


def test_administrator_cannot_touch_superusers_or_their_own_roles(client_for, personas):
    root = User.objects.create_superuser("root", password="root-password-long")
    client = client_for("admin")
    for name in ("admin:auth_user_change", "admin:auth_user_password_change"):
        assert client.get(reverse(name, args=[root.pk])).status_code in (302, 404)
    own = client.get(reverse("admin:auth_user_change", args=[personas["admin"].pk]))
    assert own.status_code == 200
    assert 'name="groups"' not in own.content.decode()


def test_administrator_cannot_make_anyone_superuser(client_for, personas):
    page = client_for("admin").get(reverse("admin:auth_user_change", args=[personas["nobody"].pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="groups"' in html
    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html


def test_api_answers_401_to_anonymous_and_names_the_caller_when_signed_in(client, client_for):
    url = reverse("access-api:me")
    anonymous = client.get(url)
    assert anonymous.status_code == 401
    assert "WWW-Authenticate" in anonymous

    me = client_for("inspector").get(url).json()
    assert me["username"] == "inspector"
    assert me["roles"] == [Role.OPERATOR.value, Role.SENIOR_OFFICER.value]
    assert me["areas"] == ["alerts", "decisions", "sites"]


def test_api_view_without_declared_permissions_denies_everyone(personas, rf):
    from rest_framework.views import APIView

    class Undeclared(APIView):
        def get(self, request):  # pragma: no cover - must never run
            raise AssertionError("reached")

    request = rf.get("/api/v1/undeclared/")
    request.user = personas["admin"]
    request._dont_enforce_csrf_checks = True
    from rest_framework.test import force_authenticate

    force_authenticate(request, user=personas["admin"])
    assert Undeclared.as_view()(request).status_code == 403


def test_role_change_is_change_logged_with_actor(personas):
    admin, target = personas["admin"], personas["nobody"]
    user_roles_set(user=target, roles=[Role.AUDITOR], acting_user=admin)
    entry = LogEntry.objects.get_for_object(target).latest("timestamp")
    assert entry.actor == admin
    assert "Auditor" in str(entry.changes)


def test_a_permission_given_outside_any_role_is_change_logged(personas):
    from auditlog.context import set_actor
    from django.contrib.auth.models import Permission

    admin, target = personas["admin"], personas["nobody"]
    with set_actor(admin):
        target.user_permissions.add(Permission.objects.get(codename="search_reads"))
    entry = LogEntry.objects.get_for_object(target).latest("timestamp")
    assert entry.actor == admin
    assert entry.changes["user_permissions"]["operation"] == "add"
    assert "Search reads for an investigation" in entry.changes["user_permissions"]["objects"][0]


def test_object_permissions_are_checked_per_object(personas):
    from guardian.shortcuts import assign_perm

    user = personas["hotlists"]
    mine, other = Group.objects.create(name="List A"), Group.objects.create(name="List B")
    assign_perm("auth.view_group", user, mine)
    assert user.has_perm("auth.view_group", mine)
    assert not user.has_perm("auth.view_group", other)
    assert not user.has_perm("auth.view_group")  # an object grant is not a global one


def test_area_pages_list_what_exists_instead_of_the_empty_state(client_for, personas):
    from tests.factories import CameraFactory, HotlistEntryFactory

    camera = CameraFactory(reference="CAM-LISTED")
    HotlistEntryFactory(hotlist__name="Listed list", hotlist__owner=personas["hotlists"])
    cameras = client_for("admin").get(reverse("cameras:camera_list")).content.decode()
    assert "CAM-LISTED" in cameras and camera.site.area in cameras
    assert next(a for a in AREAS if a.key == "cameras").empty not in cameras
    hotlists = client_for("hotlists").get(reverse("hotlist:hotlist_list")).content.decode()
    assert "Listed list" in hotlists


def test_forms_with_nonsense_ids_name_nothing(client_for):
    decisions = reverse("access:accessrequest_queue")
    senior = client_for("senior")
    for value in ("abc", "", "1e3"):
        assert senior.post(decisions, {"request": value, "action": "refuse"}).status_code == 404
    auditor = client_for("auditor")
    audit = reverse("access:audit_list")
    assert auditor.post(audit, {"review": "abc"}).status_code == 404
    assert auditor.post(audit, {"action": "sample", "count": "x"}).status_code == 302
