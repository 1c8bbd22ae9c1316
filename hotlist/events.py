"""The live alert stream: each operator listens on a channel of their own, and is told of the
alerts on the lists they are entitled to, and of nothing else.

Events only say "look again": the page then fetches what it may see from the database, which is
the truth. A browser that reconnects is replayed the events it missed (they are stored), and
refreshes from the database as it reconnects, so an alert is never lost to a dropped stream.
"""

import asyncio
import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_eventstream import send_event
from django_eventstream.channelmanager import ChannelManagerBase
from django_eventstream.models import Event as StoredEvent
from django_eventstream.views import RedisListener, get_listener_manager
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

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


class LastingRedisListener(RedisListener):
    """django-eventstream's listener for what other processes publish, made to last.

    The library's stops for good once Redis has been away longer than redis-py's retries (about
    five seconds), and nothing says so: open consoles still show "Live" and hear nothing; a
    shorter outage it rides out, but misses what was published meanwhile. This one logs any
    loss, tries again every second, and once subscribed again ends every open stream (as the
    library does for a browser that has fallen behind), so each browser reconnects and is sent
    from storage the events it missed.
    """

    def __init__(self):
        # No retries of its own: every connection lost comes to start(), which ends the open
        # streams once subscribed again, so none misses what was published meanwhile.
        self.redis_client = Redis(**settings.EVENTSTREAM_REDIS, retry=Retry(NoBackoff(), 0))
        self.pubsub = self.redis_client.pubsub()

    async def start(self):
        while True:
            try:
                await self.listen()  # returns only if the subscription ends
            except (RedisError, OSError) as error:
                logger.error("The live alert stream lost Redis (%s): trying again", error)
            while True:
                await asyncio.sleep(1)
                with contextlib.suppress(RedisError, OSError):
                    await self.pubsub.aclose()
                self.pubsub = self.redis_client.pubsub()
                try:
                    await self.pubsub.subscribe("events_channel")  # the library's channel
                    break
                except (RedisError, OSError):
                    continue
            logger.warning("The live alert stream has Redis again: open streams reconnect")
            _streams_reconnect()


def _streams_reconnect() -> None:
    manager = get_listener_manager()
    with manager.lock:  # the library's own flag for a stream to end and be resumed from storage
        listeners = {one for each in manager.listeners_by_channel.values() for one in each}
        for listener in listeners:
            listener.overflow = True
    for listener in listeners:
        listener.wake_threadsafe()


def stream_events_trim() -> int:
    """Delete stored stream events older than a day in one statement (the library trims them a
    few at a time as it stores new ones, which after a busy day would fall on one announce)."""
    cutoff = timezone.now() - timedelta(days=1)
    deleted, _ = StoredEvent.objects.filter(created__lt=cutoff).delete()
    return deleted


def alerts_announce(alert_ids: list[int], event: str = "alert") -> None:
    """Tell each entitled operator's browser that these alerts are new (`alert`) or have moved
    on (`alert-changed`). A failure is logged, not raised: the alerts are already stored; one
    console's failure does not keep the others from being told."""
    try:
        alerts = list(Alert.objects.filter(pk__in=alert_ids).values("pk", "hotlist_id", "priority"))
        recipients = alert_recipients({alert["hotlist_id"] for alert in alerts})
    except Exception:
        logger.exception("Could not announce alerts %s", alert_ids)
        return
    per_user: dict[int, list[dict]] = {}
    for alert in alerts:
        for user_id in recipients[alert["hotlist_id"]]:
            per_user.setdefault(user_id, []).append(
                {"id": alert["pk"], "priority": alert["priority"]}
            )
    for user_id, items in per_user.items():
        try:
            send_event(channel_for(user_id), event, {"alerts": items})
        except Exception:
            logger.exception("Could not announce alerts %s to user %s", alert_ids, user_id)


def operations_announce() -> None:
    """Tell every operator's console that camera health has changed (no personal data: every
    operator sees every camera's health)."""
    try:
        for user_id in operator_ids():
            send_event(channel_for(user_id), "camera-health", {})
    except Exception:
        logger.exception("Could not announce a camera health change")
