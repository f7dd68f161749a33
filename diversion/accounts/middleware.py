from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Pages may carry personal data: tell browsers and proxies never to store them.

    Static files are served before this (WhiteNoise) and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response or "no-store" not in response["Cache-Control"]:
            add_never_cache_headers(response)
        return response
