from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import ImageViewSet, serve_file

# No ".json" suffix routes: the renderer is chosen by the Accept header, and a
# suffix route hands a `format` argument to actions that do not take one.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("images", ImageViewSet, basename="image")

api_urlpatterns = router.urls

# No trailing slash: a link is its token, and any change to it is a 404.
file_urlpatterns = [path("files/<str:token>", serve_file, name="file")]
