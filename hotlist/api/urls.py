from rest_framework.routers import SimpleRouter

app_name = "hotlist-api"

router = SimpleRouter()

urlpatterns = router.urls
