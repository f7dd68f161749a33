from django.urls import path

from diversion.partners import views

app_name = "partners"
urlpatterns = [
    path("", views.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("referrals/<int:pk>/decide/", views.decide_referral, name="decide_referral"),
    path("cases/<int:pk>/decide/", views.decide_case, name="decide_case"),
    path("readmissions/", views.readmission_list, name="readmissions"),
    path("readmissions/<int:pk>/", views.readmission_detail, name="readmission"),
]
