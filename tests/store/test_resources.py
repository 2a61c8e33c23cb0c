"""Resource submission: waits for approval, ignores posted fields, refuses javascript: URLs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from store import selectors, services
from store.models import Resource

pytestmark = pytest.mark.django_db


def test_resource_submit_waits_for_approval(user):
    res = services.resource_submit(
        user=user, title="Cool paper", url="https://example.com/p", kind="paper"
    )
    assert res.approved is False and res.submitted_by == user
    assert not selectors.resources_listed().filter(pk=res.pk).exists()


def test_resource_submit_ignores_approved(client, user):
    client.force_login(user)
    resp = client.post(
        reverse("resource_submit"),
        {
            "title": "A",
            "url": "https://e.com",
            "kind": "paper",
            "approved": "on",
            "submitted_by": "999",
        },
    )
    assert resp.status_code == 302
    res = Resource.objects.get(title="A")
    assert res.approved is False and res.submitted_by == user


def test_resource_submit_refuses_javascript_url(client, user):
    client.force_login(user)
    resp = client.post(
        reverse("resource_submit"), {"title": "A", "url": "javascript:alert(1)", "kind": "paper"}
    )
    assert resp.status_code == 200 and not Resource.objects.filter(title="A").exists()
