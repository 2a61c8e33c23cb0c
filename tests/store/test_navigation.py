"""What a signed-in person can reach from every page, and the word after logging out."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_links_runs_usage_tokens_and_api_docs(client, user):
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    for name in ("run_list", "usage", "api_tokens", "api-docs"):
        assert f'href="{reverse(name)}"' in page
    client.logout()
    anonymous = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("api-docs")}"' in anonymous
    assert f'href="{reverse("api_tokens")}"' not in anonymous


def test_logging_out_says_so(client, user):
    client.force_login(user)
    response = client.post(reverse("logout"), follow=True)
    assert "You have logged out." in response.content.decode()
