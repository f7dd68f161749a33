from django.urls import path

from diversion.texts import views

app_name = "texts"
urlpatterns = [
    path("case/<int:pk>/", views.case_texts, name="case"),
    path("case/<int:pk>/consent/", views.consent_record, name="consent"),
    path("case/<int:pk>/consent/revoke/", views.consent_revoke, name="consent_revoke"),
    path("case/<int:pk>/send/", views.send, name="send"),
    path("case/<int:pk>/appointments/", views.appointment_add, name="appointment_add"),
    path("case/<int:pk>/appointments/<int:appt_pk>/cancel/", views.appointment_cancel,
         name="appointment_cancel"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("replies/<int:msg_pk>/place/", views.reply_place, name="reply_place"),
    # Jasmin calls these; the token in the path is DIVERSION_SMS_CALLBACK_TOKEN.
    path("gateway/<str:token>/receipt/<int:msg_pk>/", views.gateway_receipt,
         name="gateway_receipt"),
    path("gateway/<str:token>/incoming/", views.gateway_incoming, name="gateway_incoming"),
]
