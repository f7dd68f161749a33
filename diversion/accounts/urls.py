from django.contrib.auth import views as auth_views
from django.urls import path

from diversion.accounts import auth_views as sign_in

app_name = "accounts"
urlpatterns = [
    path("login/", sign_in.LoginView.as_view(), name="login"),
    path("login/code/", sign_in.mfa_verify, name="mfa_verify"),
    path("login/authenticator/", sign_in.mfa_setup, name="mfa_setup"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
