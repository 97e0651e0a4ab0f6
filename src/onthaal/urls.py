from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("onthaal.operations.urls")),
    path("", include("onthaal.organisation.urls")),
    path("api/v1/", include("onthaal.api.urls")),
    path("", include("onthaal.hours.urls")),
    path("", include("onthaal.queue.urls")),
    path("", include("onthaal.appointments.urls")),
    path("", include("onthaal.eloket.urls")),
    path("device/", include("onthaal.devices.urls")),
    path("staff/", include("onthaal.accounts.urls")),
    path("staff/audit/", include("onthaal.audit.urls")),
    path("staff/mail/", include("onthaal.mail.urls")),
    path("staff/reports/", include("onthaal.reporting.urls")),
    path("staff/contacts/", include("onthaal.reporting.contact_urls")),
    path("staff/help/", include("onthaal.help.urls")),
    path("staff/planning/", include("onthaal.staffing.urls")),
    path("survey/", include("onthaal.reporting.survey_urls")),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="hours:index", permanent=False), name="home"),
]

handler403 = "onthaal.accounts.shell.permission_denied"

if settings.DEBUG:  # pragma: no cover - development only
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
