from django.urls import path

from diversion.cases import printables, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list_mine, name="mine"),
    path("caseloads/", views.caseloads, name="caseloads"),
    path("holds/", views.holds, name="holds"),
    path("holds/<int:pk>/decide/", views.hold_decide, name="hold_decide"),
    path("on-call/", views.on_call, name="on_call"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/work/<slug:section>/", views.case_section, name="section"),
    path("<int:pk>/contacts/", views.case_contact_add, name="contact_add"),
    path("<int:pk>/assessments/<str:kind>/", views.case_assessment_save, name="assessment_save"),
    path("<int:pk>/exit/", views.case_exit, name="exit"),
    path("<int:pk>/deflection/", views.case_deflection_step, name="deflection_step"),
    path("<int:pk>/reassign/", views.case_reassign, name="reassign"),
    path("<int:pk>/goals/", views.case_goal_add, name="goal_add"),
    path("<int:pk>/goals/<int:goal_pk>/", views.case_goal_update, name="goal_update"),
    path("<int:pk>/goals/<int:goal_pk>/steps/", views.case_step_add, name="step_add"),
    path("<int:pk>/steps/<int:step_pk>/done/", views.case_step_done, name="step_done"),
    path("<int:pk>/plan-review/", views.case_plan_review, name="plan_review"),
    path("<int:pk>/consent.pdf", printables.consent_pdf, name="consent_pdf"),
    path("<int:pk>/plan.pdf", printables.plan_pdf, name="plan_pdf"),
]
