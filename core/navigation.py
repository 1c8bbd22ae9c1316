"""The work areas of the back office: who may open each, and what it will hold.

The home page and the navigation show each person the areas their roles open, and nothing else.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    url_name: str
    permission: str
    summary: str
    empty: str


AREAS = [
    Area(
        "alerts", "Alerts", "hotlist:alert_list", "access.monitor_alerts",
        "Live hotlist hits from the cameras: claim, verify, and record the outcome.",
        "Nothing waiting. Hits on the hotlists you receive appear here the moment a camera "
        "reads the vehicle, most urgent first, with a sound by priority.",
    ),
    Area(
        "search", "Search", "reads:search", "access.search_reads",
        "Search reads for a case: full or partial plate, place and time, vehicle history.",
        "No searches yet. Every search names its case and purpose, covers at most the last 90 "
        "days unless a senior officer has granted more, and is audited.",
    ),
    Area(
        "requests", "Extended access", "access:accessrequest_list",
        "access.request_extended_access",
        "Ask a senior officer for time-limited access to older reads for a serious-crime case.",
        "You have no extended-access requests. Requests you make, and their decisions, will be "
        "listed here.",
    ),
    Area(
        "decisions", "Decisions", "access:accessrequest_queue", "access.decide_extended_access",
        "Approve or refuse requests to search data older than 90 days.",
        "No requests are waiting for a decision. Requests from other officers will queue here; "
        "you never decide your own.",
    ),
    Area(
        "holds", "Legal holds", "reads:legalhold_list", "access.search_reads",
        "Keep reads past retention for a prosecution: approved by a senior officer, reviewed.",
        "You have no legal holds. Tick reads in search results, or give a plate and a period "
        "below, when a case needs them kept beyond retention.",
    ),
    Area(
        "sites", "Sites", "deployments:site_list", "deployments.view_site",
        "Keep every camera site justified: assessment, privacy impact, consultation, review.",
        "No camera sites are registered yet. Sites, their status and reviews due will be "
        "listed here.",
    ),
    Area(
        "hotlists", "Hotlists", "hotlist:hotlist_list", "access.manage_hotlists",
        "Keep lists of vehicles of interest accurate, owned and expiring.",
        "No hotlists yet. Lists you own or may see, their entries and what they produced will "
        "be listed here.",
    ),
    Area(
        "audit", "Audit", "access:audit_list", "access.review_audit",
        "See who searched what, when and why; dip-sample searches and spot misuse.",
        "Nothing has been audited yet. Every search, export, image view and alert action will "
        "be recorded here, hash-chained.",
    ),
    Area(
        "retention", "Retention", "reads:retention", "access.view_retention",
        "How long each kind of data is kept, what was deleted and when, legal holds, and the "
        "daily national export.",
        "Nothing has been deleted yet: the daily retention run records here what it deletes.",
    ),
    Area(
        "cameras", "Cameras", "cameras:camera_list", "access.administer_system",
        "Register cameras, issue and revoke their credentials, watch their health.",
        "No cameras are registered yet. Cameras, their sites, credentials and last reads will "
        "be listed here.",
    ),
    Area(
        "administration", "Users & roles", "admin:index", "access.administer_system",
        "Create user accounts and give each person their roles.",
        "",
    ),
]  # fmt: skip

AREAS_BY_KEY = {area.key: area for area in AREAS}


def areas_for(user) -> list[Area]:
    """The areas this user's roles open, in navigation order."""
    return [area for area in AREAS if user.has_perm(area.permission)]
