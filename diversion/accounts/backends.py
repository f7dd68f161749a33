"""The password and session backend: Django's ModelBackend, loading the user's site with them.

Nearly every page reads ``request.user.site`` (its time zone, its records); loading it in the
same query as the user saves a query on each signed-in request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class SiteModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = (get_user_model()._default_manager.select_related("site")
                .filter(pk=user_id).first())
        return user if user is not None and self.user_can_authenticate(user) else None
