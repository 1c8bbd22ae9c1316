"""Pages for cameras."""

import mimetypes
from datetime import timedelta

from django.contrib.auth.decorators import permission_required
from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from access.models import AuditRecord
from access.services import audit_record_add
from core.middleware import client_address
from core.views import AreaView
from reads.models import RetentionPolicy

from .models import Camera, OperationalAlert, UnreadFrame


class CameraListView(AreaView):
    area_key = "cameras"
    template_name = "cameras/camera_list.html"
    columns = (
        ("Camera", "reference"), ("Name", "name"), ("Site", "site.reference"),
        ("Area", "site.area"), ("Status", "get_status_display"),
        ("Last seen", "last_seen_at"), ("Reads stored", "reads_stored"),
        ("Refused", "reads_refused"), ("Frames without a plate", "frames_unread"),
        ("Clock offset (ms)", "clock_offset_ms"),
        ("Health", "health"),
    )  # fmt: skip

    def get_queryset(self):
        open_alerts = OperationalAlert.objects.filter(cleared_at__isnull=True)
        return Camera.objects.select_related("site").prefetch_related(
            Prefetch("operational_alerts", queryset=open_alerts)
        )


def _kept_frames(hours: int):
    """The diagnostic frames within their hours, whenever the hourly expiry last ran."""
    return UnreadFrame.objects.filter(received_at__gte=timezone.now() - timedelta(hours=hours))


class UnreadFrameListView(AreaView):
    """Frames in which the OCR found no plate, kept a short while for diagnostics."""

    area_key = "cameras"
    template_name = "cameras/unreadframe_list.html"

    def get_context_data(self, **kwargs):
        hours = RetentionPolicy.in_force().frames_hours
        frames = _kept_frames(hours).select_related("camera")[:200]
        return super().get_context_data(frames=frames, hours=hours, **kwargs)


@never_cache
@require_GET
@permission_required("access.administer_system", raise_exception=True)
def unread_frame_image(request, pk: int):
    """A diagnostic frame's image; every view is audited (a frame shows vehicles and people)."""
    frame = get_object_or_404(_kept_frames(RetentionPolicy.in_force().frames_hours), pk=pk)
    audit_record_add(user=request.user, action=AuditRecord.Action.IMAGE_VIEW,
                     target=f"unread frame {frame.pk} of camera {frame.camera.reference}",
                     address=client_address(request))  # fmt: skip
    try:
        content = default_storage.open(frame.image)
    except FileNotFoundError:
        return HttpResponse("The frame is no longer held.", status=410)
    return FileResponse(content, content_type=mimetypes.guess_type(frame.image)[0] or "image/jpeg")
