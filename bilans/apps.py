from django.apps import AppConfig


class BilansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bilans"
    verbose_name = "Bilans départementaux"
