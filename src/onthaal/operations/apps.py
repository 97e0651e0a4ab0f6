from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running an install: health (``/healthz``, ``/readyz``), Prometheus metrics
    (``/metrics``), JSON logs and the worker's heartbeat, upgrades (``onthaal upgrade``)."""

    name = "onthaal.operations"
    label = "operations"

    def ready(self) -> None:
        from onthaal.operations import tasklog

        tasklog.connect()  # a line and a count per background task
