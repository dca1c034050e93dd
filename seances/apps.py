from django.apps import AppConfig


class SeancesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "seances"
    verbose_name = "Séances et bilans d'action"
