"""Pages for hotlists and alerts: the live alert console, alert detail and its workflow, and the
outcomes of hits for entry owners."""

import difflib
import mimetypes
from datetime import timedelta
from importlib import import_module

from asgiref.sync import sync_to_async
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView
from django_eventstream.views import events
from guardian.shortcuts import get_groups_with_perms, get_users_with_perms

from access.mfa import reauthenticated, session_expired
from cameras.models import OperationalAlert
from core.middleware import client_address
from core.views import AreaView

from .forms import (
    AcceptForm,
    AlertFilterForm,
    HotlistEntryForm,
    HotlistForm,
    MissingPersonForm,
    RejectForm,
    VerifyForm,
)
from .imports import (
    ImportRefused,
    hotlist_export,
    hotlist_import_confirm,
    hotlist_import_upload,
)
from .models import (
    Alert,
    AlertWorkflowError,
    Hotlist,
    HotlistEntry,
    HotlistImport,
    WebhookDelivery,
)
from .selectors import (
    entry_owner_alerts,
    managed_hotlists,
    monitored_hotlists,
    operator_alerts,
)
from .services import (
    ALERT_STEPS,
    LIST_PERMISSIONS,
    HotlistError,
    alert_image_open,
    alert_open,
    alert_step,
    alert_to_act_on,
    hotlist_access_set,
    hotlist_create,
    hotlist_entry_save,
    hotlist_update,
    missing_person_entry,
)

CONSOLE_ROWS = 100
RELATED = ("hotlist", "entry", "camera__site", "claimed_by")


class AlertConsoleView(AreaView):
    """The live console: the unacknowledged queue and the filtered alerts, newest first. The
    page listens to the operator's event stream and refreshes the feed from the database on
    every event and every (re)connection."""

    area_key = "alerts"
    template_name = "hotlist/alert_console.html"

    def get_context_data(self, **kwargs):
        hotlists = monitored_hotlists(self.request.user)
        form = AlertFilterForm(self.request.GET, hotlists=hotlists)
        alerts = operator_alerts(self.request.user).select_related(*RELATED)
        # Escalated first, then the most urgent, then the longest waiting.
        queue = alerts.filter(status=Alert.Status.NEW, historic=False).order_by(
            F("escalated_at").asc(nulls_last=True), "priority", "created_at"
        )
        problems = OperationalAlert.objects.filter(cleared_at__isnull=True)
        return super().get_context_data(
            problems=problems.select_related("camera__site").order_by("camera__reference"),
            form=form, hotlists=hotlists, queue=queue[:CONSOLE_ROWS], queue_count=queue.count(),
            alerts=form.filter(alerts).order_by("-created_at")[:CONSOLE_ROWS], **kwargs,
        )  # fmt: skip


class AlertFeedView(AlertConsoleView):
    """The console's feed alone, for the page to swap in."""

    template_name = "hotlist/partials/alert_feed.html"


@never_cache
@permission_required("access.monitor_alerts", raise_exception=True)
def alert_events(request):
    """The operator's own event stream (Server-Sent Events, served by the ASGI server)."""
    if not isinstance(request, ASGIRequest):
        # Under WSGI the stream would hold a worker for ever: the proxy must route it to the
        # events process. The console shows its disconnected banner meanwhile.
        return HttpResponse("The live stream is served by the events process (ASGI).", status=503)
    response = events(request)
    if response.streaming:
        response.streaming_content = _while_signed_in(request, response.streaming_content)
    return response


async def _while_signed_in(request, chunks):
    """The stream, while its session lasts: signed out, past its limit, or its person no longer
    an operator, it ends at the next event or keep-alive (every 20 s), and the browser's
    reconnection is refused."""
    key, user_id, first = request.session.session_key, request.user.pk, True
    async for chunk in chunks:
        if not first and not await sync_to_async(_still_signed_in)(key, user_id):
            return
        first = False
        yield chunk


def _still_signed_in(session_key: str, user_id: int) -> bool:
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    user = User.objects.filter(pk=user_id, is_active=True).first()
    return (session.get("_auth_user_id") == str(user_id) and not session_expired(session)
            and user is not None and user.has_perm("access.monitor_alerts"))  # fmt: skip


class AlertDetailView(TemplateView):
    """One alert, everything needed to decide on it, and its workflow. Opening it is audited."""

    template_name = "hotlist/alert_detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        opened = alert_open(user=user, pk=self.kwargs["pk"], address=client_address(self.request))
        alert, entry = opened.alert, opened.alert.entry
        vehicle = alert.vehicle_comparison()
        return super().get_context_data(
            vehicle=vehicle, vehicle_mismatch=any(row[3] for row in vehicle),
            alert=alert, entry=entry, previous_reads=opened.previous_reads,
            deliveries=alert.deliveries.all(), previous_hours=settings.ALERT_PREVIOUS_READS_HOURS,
            read_chars=vrm_differences(alert.read_vrm, entry.vrm), may_act=opened.may_act,
            now=timezone.now(),
            exact_location=user.has_perm("access.view_exact_locations"),
            **{"verify_form": VerifyForm(), "accept_form": AcceptForm(),
               "reject_form": RejectForm(), **kwargs},
        )  # fmt: skip


def vrm_differences(read: str, listed: str) -> list[tuple[str, bool]]:
    """The read VRM character by character, each flagged where it differs from the listed one."""
    flagged = [[char, True] for char in read]
    matcher = difflib.SequenceMatcher(a=read, b=listed, autojunk=False)
    for block in matcher.get_matching_blocks():
        for i in range(block.a, block.a + block.size):
            flagged[i][1] = False
    return [(char, differs) for char, differs in flagged]


# Each workflow step, and the form it takes (if any).
STEPS = dict.fromkeys(ALERT_STEPS) | {
    "verify": VerifyForm,
    "accept": AcceptForm,
    "reject": RejectForm,
}


@require_POST
@permission_required("access.monitor_alerts", raise_exception=True)
def alert_step_view(request, pk: int, step: str):
    """Take one workflow step on an alert; the page says what happened, or why not."""
    if step not in STEPS:
        raise Http404("No such step.")
    address = client_address(request)
    alert = alert_to_act_on(user=request.user, pk=pk, step=step, address=address)
    form_class = STEPS[step]
    arguments = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():  # the page again, the form as typed with what is missing
            messages.error(request, "Not done: see the form below.")
            page = AlertDetailView()
            page.setup(request, pk=pk)
            context = page.get_context_data(**{f"{step}_form": form})
            return page.render_to_response(context, status=400)
        arguments = form.cleaned_data
    try:
        alert_step(alert=alert, step=step, by=request.user, address=address, **arguments)
    except AlertWorkflowError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Alert {alert.get_status_display().lower()}.")
    return redirect(alert.get_absolute_url())


@never_cache
@require_GET
def alert_image(request, pk: int, kind: str):
    """The plate patch or overview image of an alert, to those who may see the alert; every
    view is audited."""
    try:
        image = alert_image_open(user=request.user, pk=pk, kind=kind,
                                 address=client_address(request))  # fmt: skip
    except FileNotFoundError:
        return HttpResponse("The image is no longer held.", status=410)
    return FileResponse(image, content_type=mimetypes.guess_type(image.name)[0] or "image/jpeg")


class HotlistListView(AreaView):
    """The lists the manager keeps, with their entries and failed webhook deliveries counted."""

    area_key = "hotlists"
    template_name = "hotlist/hotlist_list.html"

    def hotlists(self):
        entries = HotlistEntry.objects.filter(hotlist=OuterRef("pk")).values("hotlist")
        failed = WebhookDelivery.objects.filter(alert__hotlist=OuterRef("pk"), status="failed")
        return (
            managed_hotlists(self.request.user)
            .select_related("owner")
            .annotate(
                entry_count=Coalesce(Subquery(entries.annotate(n=Count("pk")).values("n")), 0),
                failed_deliveries=Coalesce(
                    Subquery(failed.values("alert__hotlist").annotate(n=Count("pk")).values("n")), 0
                ),
            )
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(hotlists=list(self.hotlists()), **kwargs)


class WebhookDeliveryListView(AreaView):
    """Alerts sent to other systems, newest first, for the lists the user owns or receives:
    failures stand out here."""

    area_key = "hotlists"
    title = "Webhook deliveries"
    summary = "Alerts sent to other systems by their lists' webhooks, retried with back-off."
    columns = (
        ("Created", "created_at"), ("VRM", "alert.read_vrm"), ("Hotlist", "alert.hotlist.name"),
        ("Sent to", "host"), ("Status", "get_status_display"), ("Tries", "attempts"),
        ("Last try", "last_attempt_at"), ("Answer", "response_status"), ("Problem", "last_error"),
    )  # fmt: skip

    def get_queryset(self):
        user = self.request.user
        lists = Q(alert__hotlist__owner=user) | Q(alert__hotlist__in=monitored_hotlists(user))
        deliveries = WebhookDelivery.objects.filter(lists).select_related("alert__hotlist")
        if self.request.GET.get("status") in WebhookDelivery.Status.values:
            deliveries = deliveries.filter(status=self.request.GET["status"])
        return deliveries[:200]


class EntryOutcomesView(TemplateView):
    """Hits on the entries a person created or the lists they own, and what came of them."""

    template_name = "hotlist/entry_outcomes.html"

    def get_context_data(self, **kwargs):
        alerts = entry_owner_alerts(self.request.user).select_related(*RELATED, "closed_by")
        return super().get_context_data(alerts=alerts.order_by("-created_at")[:200], **kwargs)


@method_decorator(reauthenticated, name="post")
class HotlistCreateView(AreaView):
    """A new list, owned by its maker."""

    area_key = "hotlists"
    template_name = "hotlist/hotlist_form.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=HotlistForm(owner=request.user)))

    def post(self, request, *args, **kwargs):
        form = HotlistForm(request.POST, owner=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        hotlist = hotlist_create(by=request.user, **form.cleaned_data)
        return redirect("hotlist:hotlist_detail", pk=hotlist.pk)


@method_decorator(reauthenticated, name="dispatch")
class HotlistUpdateView(AreaView):
    """A list's settings, changed by its owner, who alone sees its webhook's signing key (to
    give to the receiver); both after confirming who they are."""

    area_key = "hotlists"
    template_name = "hotlist/hotlist_form.html"

    def hotlist(self) -> Hotlist:
        # Its owner's alone: the settings hold the webhook's address, whose path may carry the
        # receiver's token. Another manager keeps its entries from the list's page.
        return get_object_or_404(managed_hotlists(self.request.user), pk=self.kwargs["pk"],
                                 owner=self.request.user)  # fmt: skip

    def get(self, request, *args, **kwargs):
        hotlist = self.hotlist()
        form = HotlistForm(instance=hotlist, owner=hotlist.owner)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        hotlist = self.hotlist()
        form = HotlistForm(
            request.POST, instance=Hotlist.objects.get(pk=hotlist.pk), owner=hotlist.owner
        )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            hotlist_update(hotlist=hotlist, by=request.user, **form.cleaned_data)
        except HotlistError as refusal:
            messages.error(request, str(refusal))
        return redirect("hotlist:hotlist_detail", pk=hotlist.pk)


@method_decorator(reauthenticated, name="post")
class HotlistDetailView(AreaView):
    """A list's entries (expired ones marked), those expiring soon, and forms to add to it."""

    area_key = "hotlists"
    template_name = "hotlist/hotlist_detail.html"
    EXPIRING_DAYS = 14

    def hotlist(self) -> Hotlist:
        return get_object_or_404(managed_hotlists(self.request.user), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        hotlist, now = self.hotlist(), timezone.now()
        entries = hotlist.entries.order_by("vrm")
        if self.request.GET.get("vrm"):
            entries = entries.filter(
                vrm__startswith=self.request.GET["vrm"].replace(" ", "").upper()
            )
        horizon = now + timedelta(days=self.EXPIRING_DAYS)
        soon = hotlist.entries.filter(expires_at__gt=now, expires_at__lte=horizon)
        kwargs.setdefault("form", HotlistEntryForm(initial={"valid_from": timezone.localtime()}))
        kwargs.setdefault("missing_form", MissingPersonForm())
        return super().get_context_data(
            access=_holders(hotlist), permissions=LIST_PERMISSIONS,
            hotlist=hotlist, entries=entries[:200], entry_count=hotlist.entries.count(),
            expiring=soon.order_by("expires_at"), expiring_days=self.EXPIRING_DAYS, now=now,
            **kwargs,
        )  # fmt: skip

    def post(self, request, *args, **kwargs):
        hotlist = self.hotlist()
        if request.POST.get("access") in ("grant", "revoke"):
            return self.access(request, hotlist)
        if request.POST.get("missing_person"):
            form = MissingPersonForm(request.POST)
            if not form.is_valid():
                return self.render_to_response(self.get_context_data(missing_form=form))
            try:
                entry = missing_person_entry(by=request.user, hotlist=hotlist,
                                             **form.cleaned_data)  # fmt: skip
            except HotlistError as error:
                form.add_error("vrm", str(error))
                return self.render_to_response(self.get_context_data(missing_form=form))
            messages.success(request, f"Missing-person entry {entry.vrm} is live.")
            return redirect(entry)
        form = HotlistEntryForm(request.POST, instance=HotlistEntry(hotlist=hotlist))
        return _entry_saved(request, form) or self.render_to_response(
            self.get_context_data(form=form)
        )

    def access(self, request, hotlist):
        """Give or take a user's or group's access to the list."""
        name = request.POST.get("holder", "").strip()
        holder = (
            None
            if "\x00" in name
            # no name holds a NUL (nor may a query)
            else (
                Group.objects.filter(name=name).first()
                or User.objects.filter(username=name, is_active=True).first()
            )
        )
        try:
            if holder is None:
                raise HotlistError(f"There is no role or user called {name!r}.")
            hotlist_access_set(hotlist=hotlist, by=request.user,
                               permission=request.POST.get("permission", ""), holder=holder,
                               grant=request.POST["access"] == "grant")  # fmt: skip
        except HotlistError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, "Access changed.")
        return redirect("hotlist:hotlist_detail", pk=hotlist.pk)


@method_decorator(reauthenticated, name="post")
class HotlistEntryDetailView(AreaView):
    """One entry: its fields (editable), what it produced, and its change history."""

    area_key = "hotlists"
    template_name = "hotlist/hotlistentry_detail.html"

    def entry(self) -> HotlistEntry:
        lists = managed_hotlists(self.request.user)
        return get_object_or_404(
            HotlistEntry.objects.filter(hotlist__in=lists), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        entry = self.entry()
        kwargs.setdefault("form", HotlistEntryForm(instance=entry))
        history = LogEntry.objects.get_for_object(entry).select_related("actor")
        alerts = entry.alerts.select_related("camera__site", "closed_by")
        return super().get_context_data(
            entry=entry, history=history.order_by("-timestamp"), now=timezone.now(),
            alerts=alerts.order_by("-created_at")[:100], **kwargs,
        )  # fmt: skip

    def post(self, request, *args, **kwargs):
        form = HotlistEntryForm(request.POST, instance=self.entry())
        return _entry_saved(request, form) or self.render_to_response(
            self.get_context_data(form=form)
        )


def _holders(hotlist: Hotlist) -> list[tuple[str, str, str, str]]:
    """Who holds which access to a list: (permission, its label, "role" or "user", name)."""
    rows = []
    for kind, holders in (("role", get_groups_with_perms(hotlist, attach_perms=True)),
                          ("user", get_users_with_perms(hotlist, attach_perms=True,
                                                        with_group_users=False))):  # fmt: skip
        for holder, permissions in holders.items():
            name = holder.name if kind == "role" else holder.get_username()
            rows += [(p, LIST_PERMISSIONS[p], kind, name) for p in permissions
                     if p in LIST_PERMISSIONS]  # fmt: skip
    return sorted(rows)


def _entry_saved(request, form):
    """Save a valid entry form and go to the entry; None when the form has errors."""
    if not form.is_valid():
        return None
    try:
        entry, warnings = hotlist_entry_save(by=request.user, entry=form.save(commit=False))
    except HotlistError as error:
        form.add_error("vrm", str(error))
        return None
    for warning in warnings:
        messages.warning(request, warning)
    messages.success(request, f"Entry {entry.vrm} saved.")
    return redirect(entry)


class HotlistImportView(HotlistDetailView):
    """Upload a CSV in the template; it is checked in the background."""

    def post(self, request, *args, **kwargs):
        hotlist, upload = self.hotlist(), request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a CSV file in the template.")
            return redirect("hotlist:hotlist_detail", pk=hotlist.pk)
        try:
            record = hotlist_import_upload(hotlist=hotlist, by=request.user, name=upload.name,
                                           content=upload.read())  # fmt: skip
        except ImportRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("hotlist:hotlist_detail", pk=hotlist.pk)
        return redirect(record)


@method_decorator(reauthenticated, name="post")
class HotlistImportDetailView(AreaView):
    """An import's progress, its check (counts, each rejected row and why) and the decision."""

    area_key = "hotlists"
    template_name = "hotlist/hotlistimport_detail.html"

    def record(self) -> HotlistImport:
        lists = managed_hotlists(self.request.user)
        imports = HotlistImport.objects.filter(hotlist__in=lists).select_related("hotlist")
        return get_object_or_404(imports, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(record=self.record(), **kwargs)

    def post(self, request, *args, **kwargs):
        record = self.record()
        try:
            hotlist_import_confirm(record=record, by=request.user,
                                   valid_rows_only=request.POST.get("rows") == "valid")  # fmt: skip
        except ImportRefused as refusal:
            messages.error(request, str(refusal))
        return redirect(record)


@reauthenticated
def hotlist_export_view(request, pk: int):
    """A list's entries as CSV, in the import template."""
    if not request.user.has_perm("access.manage_hotlists"):
        raise PermissionDenied
    hotlist = get_object_or_404(managed_hotlists(request.user), pk=pk)
    response = HttpResponse(hotlist_export(hotlist), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="hotlist-{hotlist.pk}.csv"'
    return response
