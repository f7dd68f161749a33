from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from diversion.accounts import auth_views as sign_in
from diversion.accounts import views as account_views
from diversion.api.urls import api
from diversion.policy.admin import settle

# What the admin offers, and only to an administrator for their own site (docs/security.md).
settle(admin.site)

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    # The referral page's service worker, at the root so that its scope covers the site.
    path("sw.js", serve, {"path": "sw.js", "document_root": settings.BASE_DIR / "static" / "js"},
         name="service_worker"),
    # Browsers ask for /favicon.ico whatever the page says; the same file is in static/icons.
    path("favicon.ico", serve, {"path": "favicon.ico",
                                "document_root": settings.BASE_DIR / "static" / "icons"},
         name="favicon"),
    path("accounts/", include("diversion.accounts.urls")),
    # set_language: the language switcher at the foot of every page posts here.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("referrals/", include("diversion.referrals.urls")),
    path("cases/", include("diversion.cases.urls")),
    path("inbox/", include("diversion.notifications.urls")),
    path("people/", include("diversion.people.urls")),
    path("resources/", include("diversion.resources.urls")),
    path("partners/", include("diversion.partners.urls")),
    path("reports/", include("diversion.reports.urls")),
    path("consent/", include("diversion.consent.urls")),
    path("texts/", include("diversion.texts.urls")),
    path("api/", api.urls),
    # The HSDS API (Open Referral's own OpenAPI document): the service directory, read-only.
    path("hsds/", include("diversion.resources.hsds_urls")),
    # The admin signs in through accounts:login (lockout, one-time code).
    path("admin/login/", sign_in.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]
