from django.urls import path

from diversion.people import views

app_name = "people"
urlpatterns = [
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/", views.duplicate_decide, name="duplicate_decide"),
]
