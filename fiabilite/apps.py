from django.apps import AppConfig


class FiabiliteConfig(AppConfig):
    name = "fiabilite"
    verbose_name = "Fiabilité (tâches différées)"
