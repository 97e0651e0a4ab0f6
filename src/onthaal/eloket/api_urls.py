"""API routes of the e-loket (included under /api/v1/)."""

from django.urls import path

from onthaal.eloket import api

urlpatterns = [
    path("eloket/products/", api.ProductListView.as_view(), name="api-eloket-products"),
    path(
        "eloket/products/<str:id>/form/",
        api.ProductFormView.as_view(),
        name="api-eloket-product-form",
    ),
    path("eloket/requests/", api.RequestsView.as_view(), name="api-eloket-requests"),
    path(
        "eloket/requests/<str:reference>/",
        api.RequestDetailView.as_view(),
        name="api-eloket-request",
    ),
    path(
        "eloket/requests/<str:reference>/transition/",
        api.StaffTransitionView.as_view(),
        name="api-eloket-transition",
    ),
]
