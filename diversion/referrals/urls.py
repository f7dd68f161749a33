from django.urls import path

from diversion.referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_new, name="new"),
    path("new/person-matches/", views.person_matches, name="person_matches"),
    path("new/queue-key/", views.queue_key, name="queue_key"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/choice/", views.referral_choice, name="choice"),
]
