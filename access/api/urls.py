from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import MeView

app_name = "access-api"

router = SimpleRouter()

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
