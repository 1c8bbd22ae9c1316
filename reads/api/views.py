"""API views for reads: each declares `required_permissions`."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer, errors
from core.middleware import client_address

from ..analysis import analysis_findings_view, analysis_start
from ..models import Analysis
from ..search import Criteria, SearchRefused, read_search, search_purpose_create
from ..stakeout import Place, stakeout_search
from .serializers import (
    AnalysisRequestSerializer,
    AnalysisSerializer,
    SearchRequestSerializer,
    SearchResultSerializer,
    StakeoutRequestSerializer,
    StakeoutVehicleSerializer,
)

REFUSED = OpenApiResponse(
    ErrorSerializer,
    "Not permitted, or refused (e.g. older than the window without a grant for the case); "
    "`detail` says what is needed.",
)


class CaseSearchView(APIView):
    """Base for searching reads through the API: each call names its purpose, and a refusal is
    a 403 whose `detail` says what would be needed."""

    required_permissions = ("access.search_reads",)

    def handle_exception(self, exc):
        if isinstance(exc, SearchRefused):
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return super().handle_exception(exc)

    def purpose(self, data):
        return search_purpose_create(user=self.request.user, category=data["category"],
                                     case_reference=data["case_reference"],
                                     justification=data["justification"])  # fmt: skip


class ReadSearchView(CaseSearchView):
    """Search reads for a case, within the caller's window; every call is audited."""

    @extend_schema(
        request=SearchRequestSerializer,
        responses={200: SearchResultSerializer, **errors(400, 401), 403: REFUSED},
    )
    def post(self, request):
        given = SearchRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        purpose = self.purpose(data)
        result = read_search(
            user=request.user, purpose=purpose, page=data["page"],
            address=client_address(request),
            criteria=Criteria(
                plate=data["plate"], captured_from=data["captured_from"],
                captured_to=data.get("captured_to"), area=data["area"],
                site_id=data.get("site"), camera_id=data.get("camera"),
                direction=data["direction"],
            ),
        )  # fmt: skip
        return Response(SearchResultSerializer(result).data)


class StakeoutView(CaseSearchView):
    """Vehicles seen at every one of 2 to 5 places and times; audited once."""

    @extend_schema(
        request=StakeoutRequestSerializer,
        responses={200: StakeoutVehicleSerializer(many=True), **errors(400, 401), 403: REFUSED},
    )
    def post(self, request):
        given = StakeoutRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        vehicles = stakeout_search(
            user=request.user, purpose=self.purpose(data),
            places=[Place(p["site"], p["start"], p["end"]) for p in data["places"]],
            address=client_address(request),
        )  # fmt: skip
        return Response(StakeoutVehicleSerializer(vehicles, many=True).data)


class AnalysisListView(CaseSearchView):
    """Start a long analysis (cloned plates, convoy); it runs in the background."""

    @extend_schema(
        request=AnalysisRequestSerializer,
        responses={202: AnalysisSerializer, **errors(400, 401), 403: REFUSED},
    )
    def post(self, request):
        given = AnalysisRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        analysis = analysis_start(
            user=request.user, purpose=self.purpose(data), kind=data["kind"],
            vrm=data["vrm"], captured_from=data["captured_from"],
            captured_to=data.get("captured_to"), address=client_address(request),
        )  # fmt: skip
        return Response(AnalysisSerializer(analysis).data, status=status.HTTP_202_ACCEPTED)


class AnalysisDetailView(APIView):
    """An analysis's progress and, once done, its findings (the caller's own only, while
    their window for its case covers it; each look audited)."""

    required_permissions = ("access.search_reads",)

    @extend_schema(responses={200: AnalysisSerializer, **errors(401, 404), 403: REFUSED})
    def get(self, request, pk: int):
        analysis = get_object_or_404(Analysis.objects.select_related("purpose__category"),
                                     pk=pk, user=request.user)  # fmt: skip
        if analysis.status == Analysis.Status.DONE and (
            refusal := analysis_findings_view(analysis=analysis, address=client_address(request))
        ):
            return Response({"detail": refusal}, status=status.HTTP_403_FORBIDDEN)
        return Response(AnalysisSerializer(analysis).data)
