from django.conf import settings

from diversion.sites.models import Site


def site_default() -> Site:
    """The deployment's default site (created by the first migration)."""
    site = Site.objects.filter(is_default=True).first()
    if site is None:
        site = Site.objects.get(slug=settings.DIVERSION_DEFAULT_SITE)
    return site
