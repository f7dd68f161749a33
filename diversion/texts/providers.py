"""The narrow interface between the texts app and an SMS gateway, and its one implementation.

A provider does one thing: hand a text to the gateway and return the gateway's id for it, or
raise ProviderError. What comes back (delivery receipts, replies) arrives at the app's HTTP
endpoints (diversion/texts/views.py), each provider's own format parsed there. A site that
wants a commercial provider writes another class with `send` and points
DIVERSION_SMS_PROVIDER at it; only Jasmin ships and is tested.
"""

import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class ProviderError(Exception):
    """The gateway did not take the text; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    to: str       # E.164
    body: str


class Provider:
    def send(self, text: Outgoing) -> str:  # pragma: no cover - the interface
        raise NotImplementedError


def callback_url(name: str, *args) -> str:
    """An absolute URL of the gateway endpoints, with the shared secret in its path."""
    path = reverse(name, args=[settings.DIVERSION_SMS_CALLBACK_TOKEN, *args])
    return settings.SITE_URL.rstrip("/") + path


class JasminProvider(Provider):
    """Jasmin's HTTP API (POST /send). Delivery receipts are asked for at both levels
    (the carrier took it; the phone got it), POSTed to the receipt endpoint whose URL carries
    our own message id, so a receipt places itself even if the worker that sent the text died
    before it could write down Jasmin's id."""

    def __init__(self, *, url: str, username: str, password: str, sender: str):
        self.url = url.rstrip("/") + "/send"
        self.username, self.password, self.sender = username, password, sender

    def send(self, text: Outgoing) -> str:
        params = {
            "username": self.username, "password": self.password,
            "to": text.to.lstrip("+"),
            "dlr": "yes", "dlr-level": "3", "dlr-method": "POST",
            "dlr-url": callback_url("texts:gateway_receipt", text.message_id),
        }
        if self.sender:
            params["from"] = self.sender
        if text.body.isascii():
            params.update({"content": text.body, "coding": "0"})
        else:
            # UCS-2 (data coding 8): Jasmin takes the bytes as hex.
            params.update({"hex-content": text.body.encode("utf-16-be").hex(), "coding": "8"})
        if not self.url.startswith(("http://", "https://")):
            raise ProviderError("DIVERSION_SMS_URL must be an http(s) URL", permanent=True)
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            self.url, data=urllib.parse.urlencode(params).encode(), method="POST")
        try:
            with urllib.request.urlopen(  # noqa: S310
                    request, timeout=settings.DIVERSION_SMS_TIMEOUT) as resp:
                answer = resp.read().decode("utf-8", "replace").strip()
        except urllib.error.HTTPError as exc:
            answer = exc.read().decode("utf-8", "replace").strip()
            # 4xx: Jasmin refused the request itself (credentials, a bad number): final.
            raise ProviderError(f"gateway answered {exc.code}: {answer[:120]}",
                                permanent=400 <= exc.code < 500)
        except OSError as exc:
            raise ProviderError(f"gateway unreachable: {exc.__class__.__name__}")
        if not answer.startswith("Success"):
            raise ProviderError(f"gateway answered: {answer[:120]}")
        return answer.split('"')[1] if '"' in answer else answer.removeprefix("Success").strip()


def provider_get() -> Provider | None:
    """The configured provider, or None when texting is not set up on this server."""
    if settings.DIVERSION_SMS_PROVIDER != "jasmin":
        return import_string(settings.DIVERSION_SMS_PROVIDER)()
    if not settings.DIVERSION_SMS_URL:
        return None
    return JasminProvider(url=settings.DIVERSION_SMS_URL,
                          username=settings.DIVERSION_SMS_USERNAME,
                          password=settings.DIVERSION_SMS_PASSWORD,
                          sender=settings.DIVERSION_SMS_SENDER)
