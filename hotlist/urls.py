from django.urls import path
from django.views.decorators.cache import never_cache

from core.middleware import background

from . import views

app_name = "hotlist"

urlpatterns = [
    path("alerts/", views.AlertConsoleView.as_view(), name="alert_list"),
    # The feed and the stream are the page's background traffic, not the person's activity.
    path("alerts/feed/", background(never_cache(views.AlertFeedView.as_view())), name="alert_feed"),
    path("alerts/events/", background(views.alert_events), name="alert_events"),
    path("alerts/<int:pk>/", never_cache(views.AlertDetailView.as_view()), name="alert_detail"),
    path("alerts/<int:pk>/<str:step>/", views.alert_step_view, name="alert_step"),
    path("alerts/<int:pk>/image/<str:kind>/", views.alert_image, name="alert_image"),
    path("hotlists/", views.HotlistListView.as_view(), name="hotlist_list"),
    path("hotlists/outcomes/", views.EntryOutcomesView.as_view(), name="entry_outcomes"),
    path("hotlists/new/", views.HotlistCreateView.as_view(), name="hotlist_create"),
    path("hotlists/<int:pk>/", views.HotlistDetailView.as_view(), name="hotlist_detail"),
    path("hotlists/<int:pk>/edit/", views.HotlistUpdateView.as_view(), name="hotlist_update"),
    path("hotlists/<int:pk>/import/", views.HotlistImportView.as_view(), name="hotlist_import"),
    path("hotlists/<int:pk>/export/", views.hotlist_export_view, name="hotlist_export"),
    path(
        "hotlists/imports/<int:pk>/",
        views.HotlistImportDetailView.as_view(),
        name="hotlistimport_detail",
    ),
    path(
        "hotlists/entries/<int:pk>/",
        views.HotlistEntryDetailView.as_view(),
        name="hotlistentry_detail",
    ),
    path("hotlists/deliveries/", views.WebhookDeliveryListView.as_view(), name="delivery_list"),
]
