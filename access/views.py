"""Pages for access control: extended-access requests and decisions, and the audit."""

from core.views import AreaView


class AccessRequestListView(AreaView):
    area_key = "requests"


class AccessRequestQueueView(AreaView):
    area_key = "decisions"


class AuditListView(AreaView):
    area_key = "audit"
