from django.apps import AppConfig


class CollectifsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "collectifs"
    verbose_name = "Collectifs d'enfants"
