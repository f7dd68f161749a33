from django.urls import path

from diversion.resources import views

app_name = "resources"
urlpatterns = [
    path("", views.directory_search, name="search"),
    path("refer/<int:case_id>/", views.refer, name="refer"),
    path("referrals/<int:pk>/", views.referral_update, name="referral_update"),
]
