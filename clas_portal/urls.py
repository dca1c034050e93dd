from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Portail Clas — administration nationale"
admin.site.site_title = "Portail Clas"
admin.site.index_title = "Administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("comptes.urls")),
    path("dossiers/", include("dossiers.urls")),
    path("organisations/", include("porteurs.urls")),
    path("activite/", include("seances.urls")),
    path("bilans/", include("bilans.urls")),
    path("referentiel/", include("eligibility.urls")),
    path("audit/", include("audit.urls")),
]
