from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from onthaal.api import views

urlpatterns = [
    path("locations/", views.LocationList.as_view(), name="api-locations"),
    path("departments/", views.DepartmentList.as_view(), name="api-departments"),
    path("products/", views.ProductList.as_view(), name="api-products"),
    path("me/", views.Me.as_view(), name="api-me"),
    path("", include("onthaal.hours.api_urls")),
    path("", include("onthaal.queue.api_urls")),
    path("", include("onthaal.appointments.api_urls")),
    path("", include("onthaal.mail.api_urls")),
    path("", include("onthaal.eloket.api_urls")),
    path("", include("onthaal.reporting.api_urls")),
    path("", include("onthaal.staffing.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    # Last: a path under /api/v1/ that nothing above takes (an id that is not a number, a
    # misspelt name) answers in the API's error shape, not with an HTML page.
    re_path(r"^[\s\S]*$", views.not_found, name="api-not-found"),
]
