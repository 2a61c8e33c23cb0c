"""The model registry in the admin: read-only, staff only, never an API key's value."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory
from tests.tools.model_files import use_two_models
from tools.models import ToolVersion

pytestmark = pytest.mark.django_db

URL = "/admin/tools/tool/models/"


@pytest.fixture(autouse=True)
def two_models(settings, tmp_path):
    return use_two_models(settings, tmp_path)


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_staff_see_every_model_and_which_a_worker_serves(
    client, staff, monkeypatch, make_tool, two_models
):
    from tools import selectors

    monkeypatch.setenv("BIG_KEY", "sk-very-secret-value")
    monkeypatch.setattr(selectors, "models_served", lambda: {"smol"})
    gone = make_tool("Orphan")
    ToolVersion.objects.filter(tool=gone).update(model="gone-model")
    client.force_login(staff)
    resp = client.get(URL)
    assert resp.status_code == 200
    html = resp.content.decode()
    smol = html.split('<tr id="model-smol">')[1].split("</tr>")[0]
    big = html.split('<tr id="model-big-remote">')[1].split("</tr>")[0]
    assert "SmolLM2 135M" in smol and "(default)" in smol and "Built-in engine" in smol
    assert "2048 tokens" in smol and "bundled default model" in smol and "yes" in smol
    assert "OpenAI-compatible server" in big and "32768 tokens" in big
    assert "http://127.0.0.1:9/v1" in big and "<code>BIG_KEY</code>" in big
    assert "A large model on a GPU server" in big and "no live worker" in big
    assert "sk-very-secret-value" not in html
    assert two_models in html
    assert "<code>gone-model</code></td><td>1</td>" in html
    # The admin index links to it.
    assert URL in client.get("/admin/").content.decode()


def test_others_are_sent_to_log_in_or_refused(client, user):
    resp = client.get(URL)
    assert resp.status_code == 302 and resp["Location"].startswith("/admin/login/")
    client.force_login(user)  # not staff
    resp = client.get(URL)
    assert resp.status_code == 302 and resp["Location"].startswith("/admin/login/")
    # Staff without the right to view tools: refused, and the index does not link it.
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get(URL).status_code == 403
    assert URL not in client.get("/admin/").content.decode()
    clerk.user_permissions.add(Permission.objects.get(codename="view_tool"))
    assert client.get(URL).status_code == 200
