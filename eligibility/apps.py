from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "eligibility"
    verbose_name = "Référentiel et éligibilité"
