from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueConfig(AppConfig):
    name = "onthaal.queue"
    label = "queue"
    verbose_name = _("Customer guidance")
