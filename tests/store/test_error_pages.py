"""The site's own error pages: styled like the rest of the store, with a way back."""

import pytest
from django.core.exceptions import BadRequest, PermissionDenied
from django.test import RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_unknown_address_gets_the_stores_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'href="/categories/"' in html  # the site's own header


def test_a_hidden_tool_gets_the_same_404_page(client, make_tool):
    tool = make_tool("Secret", visibility="private")
    response = client.get(f"/t/{tool.slug}/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def _request():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    return request


def test_forbidden_and_bad_request_pages():
    forbidden = defaults.permission_denied(_request(), PermissionDenied())
    assert forbidden.status_code == 403 and "Not allowed" in forbidden.content.decode()
    bad = defaults.bad_request(_request(), BadRequest())
    assert bad.status_code == 400 and "could not be read" in bad.content.decode()


def test_server_error_page_stands_alone():
    response = defaults.server_error(_request())
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "/static/css/site.css" in html
