from django.apps import AppConfig


class PorteursConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "porteurs"
    verbose_name = "Porteurs de projet"
