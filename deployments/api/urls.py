from rest_framework.routers import SimpleRouter

from .views import SiteViewSet

app_name = "deployments-api"

router = SimpleRouter()
router.register("", SiteViewSet, basename="site")

urlpatterns = router.urls
