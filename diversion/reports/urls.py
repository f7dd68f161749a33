from django.urls import path

from diversion.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("download/<str:kind>.<str:fmt>", views.download, name="download"),
    path("extract", views.extract, name="extract"),
    path("extract/<int:pk>.csv", views.extract_download, name="extract_download"),
    path("reports.pdf", views.pdf, name="pdf"),
    path("refresh", views.refresh, name="refresh"),
    path("deployment", views.deployment, name="deployment"),
    path("state", views.state, name="state"),
    path("simulate", views.simulate, name="simulate"),
    path("state.<str:fmt>", views.state_download, name="state_download"),
]
