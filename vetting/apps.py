from django.apps import AppConfig


class VettingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "vetting"

    def ready(self) -> None:
        from vetting import checks  # noqa: F401  (registers the system checks)
