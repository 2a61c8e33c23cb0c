"""`Authorization: Bearer <personal API token>` for DRF, and its OpenAPI description."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .services import token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A personal API token. No header: not this scheme (the session may apply). A Bearer
    header with a bad, expired or revoked token: 401, never a silent fall-back."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        keyword = self.keyword.lower().encode()
        if not header or not header[0].lower().startswith(keyword):
            return None
        # "Bearerfoo", "Bearer" alone, "Bearer a b": meant as a token, so refused, not ignored.
        if header[0].lower() != keyword or len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid Authorization header.")
        token = token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API token.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "gpts_<prefix>_<secret>",
            "description": "A personal API token created on the token settings page.",
        }
