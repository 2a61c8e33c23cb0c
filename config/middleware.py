from django.conf import settings

# Model output and publishers' text are untrusted: no inline scripts, and no remote
# images, so rendered output cannot run code or leak data through image URLs.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The admin and the API docs ship their own inline assets.
        if not request.path.startswith(("/admin/", "/api/docs", "/api/redoc")):
            response.setdefault("Content-Security-Policy", getattr(settings, "CSP", CSP))
        return response
