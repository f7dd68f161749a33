import math
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.http import Http404

from diversion import policy
from diversion.cases.selectors import cases_visible_to
from diversion.resources.models import (
    Location,
    Service,
    ServiceAtLocation,
    ServiceReferral,
    ServiceStatus,
    TaxonomyTerm,
)

EARTH_RADIUS_KM = 6371.0088

# Staff who look services up for participants. Officers may too: a social contact often
# starts with "where can I sleep tonight?". Evaluators have no use for the directory.



def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class Hit:
    service: Service
    location: Location | None  # the nearest place it is offered, if any has coordinates
    distance_km: float | None


def can_use_directory(user) -> bool:
    return policy.can(user, "resource.search")


def needs_for_site(*, site):
    """Taxonomy terms that at least one active service of SITE carries."""
    return (TaxonomyTerm.objects.filter(site=site, services__status=ServiceStatus.ACTIVE)
            .distinct().order_by("name"))


def services_search(*, site, need: str = "", text: str = "", lat: float | None = None,
                    lon: float | None = None, limit: int = 50) -> list[Hit]:
    """Active services of SITE meeting NEED (a taxonomy term's code or name) and matching
    TEXT (service, organisation or term words); nearest first when LAT/LON are given.
    """
    qs = Service.objects.filter(site=site, status=ServiceStatus.ACTIVE)
    if need.strip():
        n = need.strip()
        qs = qs.filter(Q(categories__code__iexact=n) | Q(categories__name__iexact=n))
    for word in text.split()[:8]:
        qs = qs.filter(Q(name__icontains=word) | Q(alternate_name__icontains=word)
                       | Q(description__icontains=word)
                       | Q(organization__name__icontains=word)
                       | Q(categories__name__icontains=word))
    qs = (qs.distinct().select_related("organization")
          .prefetch_related("categories",
                            Prefetch("service_at_locations",
                                     queryset=ServiceAtLocation.objects.select_related(
                                         "location").prefetch_related("location__addresses")),
                            "phones"))
    hits = []
    for service in qs:
        places = [sal.location for sal in service.service_at_locations.all() if sal.location]
        best, best_km = (places[0] if places else None), None
        if lat is not None and lon is not None:
            for place in places:
                if place.latitude is None or place.longitude is None:
                    continue
                km = haversine_km(lat, lon, place.latitude, place.longitude)
                if best_km is None or km < best_km:
                    best, best_km = place, km
        hits.append(Hit(service, best, best_km))
    if lat is not None and lon is not None:
        # Nearest first; services with no known place go last, by name.
        hits.sort(key=lambda h: (h.distance_km is None, h.distance_km or 0.0,
                                 h.service.name.casefold(), h.service.pk))
    else:
        hits.sort(key=lambda h: (h.service.name.casefold(), h.service.pk))
    return hits[:limit]


def get_service_for_user(user, pk: int) -> Service:
    """The access helper for directory services: 404 unless USER may use SITE's directory."""
    if not can_use_directory(user):
        raise Http404("No such service.")
    service = (Service.objects.filter(site_id=user.site_id, pk=pk)
               .select_related("organization").first())
    if service is None:
        raise Http404("No such service.")
    return service


def service_referrals_for_case(*, case):
    return (ServiceReferral.objects.filter(case=case)
            .select_related("service__organization", "location"))


def get_service_referral_for_user(user, pk: int) -> ServiceReferral:
    """The access helper for service referrals: the user must be able to see the case."""

    referral = (ServiceReferral.objects
                .filter(pk=pk, case__in=cases_visible_to(user=user))
                .select_related("case", "service").first())
    if referral is None:
        raise Http404("No such service referral.")
    return referral
