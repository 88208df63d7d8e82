from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

# The schema and its UI are public: they describe the API, and every endpoint still needs a token.
PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("", include("dashboard.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("analytics.urls")),
    path("api/schema/", SpectacularAPIView.as_view(**PUBLIC), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema", **PUBLIC), name="docs"),
    # Log in and out of the browsable API with an admin account (core.auth.AdminSessionAuthentication).
    path("api-auth/", include("rest_framework.urls")),
]
# Static files: WhiteNoiseMiddleware (core/settings.py).

# Errors outside DRF views in the API's JSON shape (core/exceptions.py).
handler400 = "core.exceptions.bad_request"
handler403 = "core.exceptions.permission_denied"
handler404 = "core.exceptions.not_found"
handler500 = "core.exceptions.server_error"
