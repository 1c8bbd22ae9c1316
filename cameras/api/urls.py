from rest_framework.routers import SimpleRouter

app_name = "cameras-api"

router = SimpleRouter()

urlpatterns = router.urls
