from django.conf import settings


def portail(request):
    """Variables communes à toutes les pages."""
    return {"nom_portail": settings.CLAS_NOM_PORTAIL, "clas_env": settings.CLAS_ENV}
