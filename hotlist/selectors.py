"""Reads for hotlists and alerts: query helpers that take the requesting user and restrict by it."""

from django.contrib.auth.models import Permission, User
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import get_objects_for_user

from .models import Alert, EntryChange, Hotlist, HotlistEntry

RECEIVE_ALERTS = "hotlist.receive_alerts"
MANAGE_HOTLIST = "hotlist.manage_hotlist"


def monitored_hotlists(user: User) -> QuerySet[Hotlist]:
    """The lists whose alerts this operator receives: held per list, and only by operators."""
    if not user.has_perm("access.monitor_alerts"):
        return Hotlist.objects.none()
    # Only what is held per list counts: a superuser, or a global permission, grants nothing.
    return get_objects_for_user(user, RECEIVE_ALERTS, klass=Hotlist, accept_global_perms=False,
                                with_superuser=False)  # fmt: skip


def managed_hotlists(user: User) -> QuerySet[Hotlist]:
    """The lists a hotlist manager keeps: their own, and those they are given (per list, to
    them or a group). Other lists, restricted ones included, do not exist for them."""
    if not user.has_perm("access.manage_hotlists"):
        return Hotlist.objects.none()
    given = get_objects_for_user(user, MANAGE_HOTLIST, klass=Hotlist, accept_global_perms=False,
                                 with_superuser=False)  # fmt: skip
    return Hotlist.objects.filter(Q(owner=user) | Q(pk__in=given.values("pk")))


def operator_alerts(user: User) -> QuerySet[Alert]:
    """Alerts this operator may see and act on."""
    return Alert.objects.filter(hotlist__in=monitored_hotlists(user))


def alert_for(user: User, pk: int) -> tuple[Alert, bool]:
    """One alert, and whether the user may act on it: for an operator entitled to its list (who
    may), or the owner of its entry or list (who only reads it). Anyone else gets a 404:
    whether the alert exists is not theirs to know."""
    related = ("camera__site", "entry", "hotlist", "claimed_by", "verified_by", "closed_by")
    monitored = monitored_hotlists(user).filter(pk=OuterRef("hotlist_id"))
    alert = (
        Alert.objects.select_related(*related)
        .annotate(may_act=Exists(monitored))
        .filter(Q(may_act=True) | _owned_by(user), pk=pk)
        .first()
    )
    if alert is None:
        raise Http404("No such alert.")
    return alert, alert.may_act


def _owned_by(user: User) -> Q:
    """Hits on entries the user created or lists the user owns, on lists the user still keeps:
    a manager who has lost a list, or the role, sees its hits no more."""
    owned = Q(entry__created_by=user) | Q(hotlist__owner=user)
    return owned & Q(hotlist__in=managed_hotlists(user))


def entry_owner_alerts(user: User) -> QuerySet[Alert]:
    """Hits on entries the user created or lists the user owns: owners see the outcomes."""
    return Alert.objects.filter(_owned_by(user))


def owns_entries(user: User) -> bool:
    kept = managed_hotlists(user)
    return (
        kept.filter(owner=user).exists()
        or HotlistEntry.objects.filter(created_by=user, hotlist__in=kept).exists()
    )


def operator_ids() -> set[int]:
    """The active users who hold the operator's console."""
    monitor = Permission.objects.get(content_type__app_label="access", codename="monitor_alerts")
    holders = User.objects.filter(Q(groups__permissions=monitor) | Q(user_permissions=monitor))
    return set(holders.filter(is_active=True).values_list("pk", flat=True))


def alert_recipients(hotlist_ids: set[int]) -> dict[int, set[int]]:
    """For each list, the ids of the active operators entitled to its alerts (held by them or
    by a group of theirs)."""
    operators = operator_ids()
    receive = Permission.objects.get(content_type__app_label="hotlist", codename="receive_alerts")
    keys = [str(pk) for pk in hotlist_ids]
    held = UserObjectPermission.objects.filter(permission=receive, object_pk__in=keys)
    via_groups = GroupObjectPermission.objects.filter(
        permission=receive, object_pk__in=keys, group__user__isnull=False
    )
    recipients: dict[int, set[int]] = {pk: set() for pk in hotlist_ids}
    for object_pk, user_id in [*held.values_list("object_pk", "user_id"),
                               *via_groups.values_list("object_pk", "group__user")]:  # fmt: skip
        if user_id in operators:
            recipients[int(object_pk)].add(user_id)
    return recipients


SYNC_PAGE = 5000


class SyncAhead(ValueError):
    """A unit holds a revision this back office has not reached; the message says what to do."""


def entry_changes_since(*, camera, since: int, limit: int = SYNC_PAGE) -> dict:
    """What a mobile unit must change to hold its lists as they are (R-HOT-7): for each entry
    changed after revision `since`, its state now (saved, with its fields) or its removal,
    oldest first, at most `limit`; then the revision to ask from next time.

    A change's revision is drawn when it is written but seen only when its transaction
    commits, so one committed after a later one would fall behind the revision handed out and
    never reach the unit. The changes are read once every transaction writing them has
    committed, with new ones held off meanwhile (a SHARE lock: reads go on).

    A `since` past the latest revision (the back office restored from a backup, or the unit's
    lists from elsewhere) is refused with SyncAhead: answering from it would skip every change
    up to it for good."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {EntryChange._meta.db_table} IN SHARE MODE")
        return _changes_since(camera, since, limit)


def _changes_since(camera, since: int, limit: int) -> dict:
    newest = EntryChange.objects.aggregate(r=Max("revision"))["r"] or 0
    if since > newest:
        raise SyncAhead(f"Revision {since} is ahead of this back office's latest ({newest}): it "
                        "was restored from a backup, or the lists held are from elsewhere. "
                        "Drop them and sync again from 0.")  # fmt: skip
    lists = list(camera.hotlists.filter(is_active=True).values_list("pk", flat=True))
    latest = (
        EntryChange.objects.filter(hotlist_id__in=lists, revision__gt=since)
        .order_by("entry_id", "-revision")
        .distinct("entry_id")
    )
    # Each entry's latest change, oldest first, a page at a time in the database: a first sync
    # of a large list sends no more rows to Python than it answers with.
    changes = list(EntryChange.objects.filter(pk__in=latest.values("pk")).order_by("revision")[
        : limit + 1])  # fmt: skip
    page, more = changes[:limit], len(changes) > limit
    current = {entry.pk: entry for entry in HotlistEntry.objects.filter(
        pk__in=[c.entry_id for c in page if c.kind == EntryChange.Kind.SAVED])}  # fmt: skip
    rows = []
    for change in page:
        entry = current.get(change.entry_id)
        row = {"revision": change.revision, "entry": change.entry_id, "list": change.hotlist_id}
        if entry is None:
            rows.append({**row, "change": "remove"})
        else:
            rows.append({
                **row, "change": "save", "vrm": entry.vrm, "priority": entry.effective_priority,
                "reason": entry.reason, "action": entry.action,
                "warning_markers": entry.warning_markers, "valid_from": entry.valid_from,
                "expires_at": entry.expires_at,
            })  # fmt: skip
    revision = page[-1].revision if page else newest
    return {"revision": revision, "more": more, "lists": lists, "changes": rows}
