from rest_framework.routers import SimpleRouter

app_name = "reads-api"

router = SimpleRouter()

urlpatterns = router.urls
