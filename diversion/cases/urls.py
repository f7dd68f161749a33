from django.urls import path

from diversion.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list_mine, name="mine"),
    path("<int:pk>/", views.case_detail, name="detail"),
]
