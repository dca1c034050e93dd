"""URL de seances (voir seances/urls.py)."""

urlpatterns = []
