from rest_framework.routers import SimpleRouter

app_name = "deployments-api"

router = SimpleRouter()

urlpatterns = router.urls
