from django.urls import path

from . import views

app_name = "bilans"

urlpatterns = [
    path("", views.BilansIndexView.as_view(), name="index"),
]
