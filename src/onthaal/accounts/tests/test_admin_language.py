from django.test import RequestFactory
from django.utils import translation
from django.views.i18n import JavaScriptCatalog


def test_the_admin_two_list_selector_speaks_dutch():
    """Django 5.2's Dutch catalogue lacks the selector's newer strings; ours fills them in.
    (The catalogue the admin serves at /admin/jsi18n/.)"""
    view = JavaScriptCatalog.as_view(packages=["django.contrib.admin"])
    with translation.override("nl"):
        text = view(RequestFactory().get("/admin/jsi18n/")).content.decode()
    assert "Alle %s kiezen" in text and "Alle %s verwijderen" in text
    assert "Beschikbare %s" in text  # Django's own Dutch still comes through
