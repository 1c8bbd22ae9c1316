"""The live alert stream: each operator listens on a channel of their own, and is told of the
alerts on the lists they are entitled to, and of nothing else.

Events only say "look again": the page then fetches what it may see from the database, which is
the truth. A browser that reconnects is replayed the events it missed (they are stored), and
refreshes from the database as it reconnects, so an alert is never lost to a dropped stream.
"""

import logging
from datetime import timedelta

from django.utils import timezone
from django_eventstream import send_event
from django_eventstream.channelmanager import ChannelManagerBase
from django_eventstream.models import Event as StoredEvent

from .models import Alert
from .selectors import alert_recipients, operator_ids

logger = logging.getLogger(__name__)


def channel_for(user_id: int) -> str:
    return f"operator-{user_id}"


class OperatorChannelManager(ChannelManagerBase):
    """An operator reads their own channel only."""

    def get_channels_for_request(self, request, view_kwargs):
        return {channel_for(request.user.pk)}

    def can_read_channel(self, user, channel):
        return (
            user is not None and user.has_perm("access.monitor_alerts")
            and channel == channel_for(user.pk)
        )  # fmt: skip

    def is_channel_reliable(self, channel):
        return True


def stream_events_trim() -> int:
    """Delete stored stream events older than a day in one statement (the library trims them a
    few at a time as it stores new ones, which after a busy day would fall on one announce)."""
    cutoff = timezone.now() - timedelta(days=1)
    deleted, _ = StoredEvent.objects.filter(created__lt=cutoff).delete()
    return deleted


def alerts_announce(alert_ids: list[int], event: str = "alert") -> None:
    """Tell each entitled operator's browser that these alerts are new (`alert`) or have moved
    on (`alert-changed`). A failure is logged, not raised: the alerts are already stored."""
    try:
        alerts = list(Alert.objects.filter(pk__in=alert_ids).values("pk", "hotlist_id", "priority"))
        recipients = alert_recipients({alert["hotlist_id"] for alert in alerts})
        per_user: dict[int, list[dict]] = {}
        for alert in alerts:
            for user_id in recipients[alert["hotlist_id"]]:
                per_user.setdefault(user_id, []).append(
                    {"id": alert["pk"], "priority": alert["priority"]}
                )
        for user_id, items in per_user.items():
            send_event(channel_for(user_id), event, {"alerts": items})
    except Exception:
        logger.exception("Could not announce alerts %s", alert_ids)


def operations_announce() -> None:
    """Tell every operator's console that camera health has changed (no personal data: every
    operator sees every camera's health)."""
    try:
        for user_id in operator_ids():
            send_event(channel_for(user_id), "camera-health", {})
    except Exception:
        logger.exception("Could not announce a camera health change")
