from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EloketConfig(AppConfig):
    name = "onthaal.eloket"
    label = "eloket"
    verbose_name = _("Digital counter")
