"""The camera API: cameras submit batches of reads and heartbeats with their own credential."""

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.params import whole_number
from hotlist.selectors import SyncAhead, entry_changes_since

from ..frames import frame_submit
from ..models import Camera, CameraPosition
from ..services import (
    SubmissionRefused,
    camera_seen,
    clock_offset_ms,
    multipart_batch,
    read_batch_submit,
    submission_json,
)
from .authentication import CameraAuthentication, IsCamera
from .serializers import (
    FrameAcceptedSerializer,
    FrameUploadSerializer,
    HeartbeatSerializer,
    ProblemSerializer,
    ReadBatchRefusedSerializer,
    ReadBatchResultSerializer,
    ReadBatchSerializer,
    ReadBatchUploadSerializer,
)

PROBLEM = OpenApiResponse(ProblemSerializer)
INVALID = OpenApiResponse(
    {"type": "object", "additionalProperties": {}},
    "Not valid: each field in error with its messages (`non_field_errors` for the whole), or "
    "`detail`.",
)


class CameraJSONParser(JSONParser):
    """JSON, refused with a 400 (not a server error) when nested too deeply to parse or holding
    more objects than any submission (cameras.services.submission_json)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return submission_json(stream.read().decode(encoding))
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError among them
            raise ParseError(f"JSON parse error - {error}") from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


class BodyTooLarge(APIException):
    status_code = 413
    default_code = "too_large"


class CameraAPIView(APIView):
    authentication_classes = [CameraAuthentication]
    permission_classes = [IsCamera]
    parser_classes = [CameraJSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Refused on the declared length, before the body is parsed: Django refuses a JSON
        # body past DATA_UPLOAD_MAX_MEMORY_SIZE with a bare 400 page, and reads a multipart
        # one whole (its files into temporary files) before anything looks at its size.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body for a length it cannot parse
        if length > self.body_limit():
            raise BodyTooLarge(self.too_large())

    def body_limit(self) -> int:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def handle_exception(self, exc):
        # Django's own limits on a form, met while parsing: a message, not a bare 400 page.
        if isinstance(exc, TooManyFilesSent):
            exc = ParseError("Too many files in one submission: at most "
                             f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES}.")  # fmt: skip
        elif isinstance(exc, TooManyFieldsSent):
            exc = ParseError("Too many form fields in one submission: at most "
                             f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}.")  # fmt: skip
        return super().handle_exception(exc)

    def too_large(self) -> str:
        return (f"The request body is larger than the limit of {self.body_limit()} bytes; "
                "nothing was accepted.")  # fmt: skip


class ReadBatchView(CameraAPIView):
    parser_classes = [CameraJSONParser, MultiPartParser]

    def too_large(self) -> str:
        return (f"The request body is larger than the limit of {self.body_limit()} bytes; "
                "nothing was accepted. Send fewer reads a batch, or smaller images.")  # fmt: skip

    @extend_schema(
        operation_id="camera_reads_submit",
        request={
            "application/json": ReadBatchSerializer,
            "multipart/form-data": ReadBatchUploadSerializer,
        },
        responses={
            202: ReadBatchResultSerializer,
            400: OpenApiResponse(ReadBatchRefusedSerializer, "Nothing accepted; reasons given."),
            401: PROBLEM,
            403: PROBLEM,
            409: OpenApiResponse(
                ReadBatchRefusedSerializer,
                "Nothing accepted: each capture id already names a read with another VRM.",
            ),
            413: PROBLEM,
            415: PROBLEM,
            503: PROBLEM,
        },
        summary="Submit a batch of up to 50 reads",
    )
    def post(self, request):
        """Each read is checked on its own: good reads are accepted (202) with their read ids,
        bad ones are listed with the reason. A read submitted twice keeps its read id and is
        stored once; a capture id sent again (same capture time) with another VRM is refused."""
        try:
            payload = request.data
            if request.content_type.startswith("multipart/"):
                payload = multipart_batch(request.data.get("batch"), request.FILES)
            result = read_batch_submit(camera=request.auth.camera, payload=payload)
        except SubmissionRefused as refused:
            return Response({"detail": refused.detail, **refused.body}, status=refused.status)
        return Response(result, status=202)


class FrameView(CameraAPIView):
    parser_classes = [MultiPartParser]

    def body_limit(self) -> int:
        return settings.FRAME_MAX_BYTES + 65536  # the frame and its few form fields

    def too_large(self) -> str:
        return f"The frame is larger than {settings.FRAME_MAX_BYTES} bytes."

    @extend_schema(
        operation_id="camera_frame_submit",
        request={"multipart/form-data": FrameUploadSerializer},
        responses={202: FrameAcceptedSerializer, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM,
                   413: PROBLEM, 415: PROBLEM, 503: PROBLEM},
        summary="Submit a frame for the back office to read the plate in",
    )  # fmt: skip
    def post(self, request):
        """For generic cameras: the frame is checked (a complete JPEG or PNG within the size
        and pixel limits) and queued for OCR; a plate read in it becomes a read, stored once
        however often the frame is sent."""
        upload = request.FILES.get("frame")
        if upload is None:
            return Response({"detail": 'Send the frame as a file named "frame".'}, status=400)
        if upload.size > settings.FRAME_MAX_BYTES:
            return Response({"detail": f"The frame is larger than {settings.FRAME_MAX_BYTES} "
                                       "bytes."}, status=400)  # fmt: skip
        try:
            result = frame_submit(camera=request.auth.camera, content=upload.read(),
                                  fields=request.data)  # fmt: skip
        except SubmissionRefused as refused:
            return Response({"detail": refused.detail, **refused.body}, status=refused.status)
        return Response(result, status=202)


class HotlistSyncView(CameraAPIView):
    @extend_schema(
        operation_id="camera_hotlists_sync",
        parameters=[
            OpenApiParameter("since", int, description="The last revision held; 0 for everything.")
        ],
        responses={
            200: OpenApiResponse(
                description="`revision` (ask from it next time), "
                "`more`, `lists` (the lists to hold: drop others), "
                "`changes`: save (with the entry) or remove."
            ),
            400: PROBLEM,
            401: PROBLEM,
            403: PROBLEM,
            409: OpenApiResponse(
                ProblemSerializer,
                "`since` is ahead of the latest revision: "
                "drop the lists held and sync again from 0.",
            ),
        },
        summary="Fetch the changes to this unit's hotlists since a revision",
    )
    def get(self, request):
        """For mobile units that match on board: the lists they may hold, by revision. A unit
        that may not submit reads (disabled, or at a site that does not collect them) is told
        why and given no entries."""
        if reason := request.auth.camera.refusal_reason():
            return Response({"detail": reason}, status=403)
        since = whole_number(request.query_params.get("since", "0"))
        if since is None:
            return Response({"detail": "`since` must be a revision number (0 or more)."},
                            status=400)  # fmt: skip
        try:
            return Response(entry_changes_since(camera=request.auth.camera, since=since))
        except SyncAhead as ahead:
            return Response({"detail": str(ahead)}, status=409)


class HeartbeatView(CameraAPIView):
    def body_limit(self) -> int:
        return 4096  # a time and a position

    @extend_schema(
        operation_id="camera_heartbeat",
        request=HeartbeatSerializer,
        responses={
            200: ProblemSerializer,
            400: INVALID,
            401: PROBLEM,
            403: PROBLEM,
            413: PROBLEM,
            415: PROBLEM,
        },
        summary="Tell the back office the camera is alive (and where, for a mobile unit)",
    )
    def post(self, request):
        """A camera that may not submit reads (disabled, or at a site that does not collect
        them) is told why; where it is is not recorded."""
        camera = request.auth.camera
        if reason := camera.refusal_reason():
            return Response({"detail": reason}, status=403)
        serializer = HeartbeatSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "latitude" in data:
            if camera.kind != Camera.Kind.MOBILE:
                return Response({"detail": f"Camera {camera.reference} is fixed: only mobile "
                                 "units report their position."}, status=400)  # fmt: skip
            CameraPosition.objects.create(camera=camera, at=timezone.now(),
                                          latitude=data["latitude"],
                                          longitude=data["longitude"])  # fmt: skip
        offset = clock_offset_ms(data.get("sent_at"))
        camera_seen(camera_id=camera.pk, clock_offset_ms=offset, stored=0, refused=0)
        return Response({"detail": "ok"})
