"""The service directory's HSDS API (/hsds/): who may read it.

One setting, `DIVERSION_HSDS_API`, chooses the rule (docs/operations.md):
- `off`: nobody (every path answers 404, as if there were no API);
- `partners` (the default): a signed-in user, or a bearer token's user, holding the
  capability `resource.hsds_api` (the directory's roles, those of `/resources/`);
- `public`: anyone, without signing in (the directory holds no person).
"""

from django.conf import settings

from diversion import policy


def may_read_hsds_api(user) -> bool:
    mode = settings.DIVERSION_HSDS_API
    if mode == "public":
        return True
    if mode == "partners":
        return user is not None and policy.can(user, "resource.hsds_api")
    return False
