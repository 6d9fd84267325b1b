from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import ImageViewSet, serve_file

router = DefaultRouter()
router.register("images", ImageViewSet, basename="image")

api_urlpatterns = router.urls

# No trailing slash: a link is its token, and any change to it is a 404.
file_urlpatterns = [path("files/<str:token>", serve_file, name="file")]
