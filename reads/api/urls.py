from django.urls import path

from .views import ReadSearchView

app_name = "reads-api"

urlpatterns = [path("search/", ReadSearchView.as_view(), name="search")]
