from django.urls import path

from diversion.consent import views

app_name = "consent"
urlpatterns = [
    path("person/<int:pk>/", views.person_consents, name="person"),
    path("person/<int:pk>/accounting/", views.accounting, name="accounting"),
    path("<int:pk>/revoke/", views.consent_revoke, name="revoke"),
]
