from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "onthaal.core"
    label = "core"
