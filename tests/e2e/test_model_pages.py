"""The Model select of the builder, the model on the tool page, the versions page and the
admin's model registry, in Chromium at phone and desktop size with two registered models: no
overflow, no console errors, no serious axe-core violations; a tool whose model left the
registry says so on its page and in the builder. Screenshots land in
<var>/screenshots/models/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from bench import processes
from tests.e2e.sweep import Listener, check_visit
from tests.factories import ToolFactory, UserFactory
from tests.helpers import login_cookies
from tests.tools.model_files import TWO
from tools import services as tool_services
from tools.models import ToolVersion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIZES = ((390, 844), (1366, 900))


@pytest.fixture(scope="module")
def models_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("models") / "models.toml"
    path.write_text(TWO)
    return str(path)


@pytest.fixture(scope="module")
def models_web(stack_env, models_file):
    """A web process whose registry is TWO, like the test process's (see `two_models`)."""
    env = {**stack_env, "GPTSTORE_MODELS_FILE": models_file, "GPTSTORE_DEFAULT_MODEL": ""}
    proc, base = processes.start_web(env, name="models-web")
    yield base
    processes.stop(proc)


@pytest.fixture
def two_models(settings, models_file):
    settings.GPTSTORE_MODELS_FILE = models_file
    settings.GPTSTORE_DEFAULT_MODEL = ""


def _visit(browser, base, user, path, size, shot) -> tuple[list, object, object]:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.set_default_timeout(15_000)
    cookies = login_cookies(user)
    context.add_cookies([{"name": k, "value": v, "url": base} for k, v in cookies.items()])
    page = context.new_page()
    listener = Listener()
    listener.attach(page)
    response = page.goto(base + path, wait_until="load")
    found = check_visit(page, listener, url=page.url, status=response.status, full=True, shot=shot)
    return [("status", response.status)] * (response.status != 200) + found, page, context


def test_model_select_and_tool_page_at_phone_and_desktop(browser, models_web, two_models):
    shots = Path(settings.VAR_DIR) / "screenshots" / "models"
    shots.mkdir(parents=True, exist_ok=True)
    author = UserFactory(username="maker_of_models")
    visitor = UserFactory(username="visitor")
    staff = UserFactory(username="operator", is_staff=True, is_superuser=True)
    tool = ToolFactory(
        author=author, lister=True, name="Meeting Notes Summarizer", tagline="Decisions first"
    )
    orphan = ToolFactory(author=author, name="Old Model Tool")
    moved = ToolFactory(author=author, name="Moved Tool")
    ToolVersion.objects.filter(tool__in=[orphan, moved]).update(model="retired-7b")
    tool_services.tool_draft_save(
        tool=moved,
        prompt_template="Rewrite: {{text}}",
        input_schema=[{"name": "text", "type": "long_text"}],
        model="big-remote",
        changelog="Moved to the big remote model",
    )
    problems = []
    for size in SIZES:
        w = size[0]
        found, page, context = _visit(
            browser, models_web, author, f"/build/{tool.slug}/", size, shots / f"builder-{w}.png"
        )
        try:
            problems += [("builder", w, *p) for p in found]
            select = page.locator("#id_model")
            assert select.input_value() == "smol"
            help_text = page.locator("[data-model-help]")
            assert "Small and fast" in help_text.inner_text()
            # The help follows the choice.
            select.select_option("big-remote")
            assert "32,768 tokens" in help_text.inner_text()
            page.locator("#model-version-note").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"builder-model-{w}.png"))
        finally:
            context.close()
        found, page, context = _visit(
            browser, models_web, visitor, f"/t/{tool.slug}/", size, shots / f"tool-{w}.png"
        )
        try:
            problems += [("tool", w, *p) for p in found]
            assert "Runs on SmolLM2 135M" in page.locator("#tool-model").inner_text()
        finally:
            context.close()
        found, page, context = _visit(
            browser, models_web, visitor, f"/t/{orphan.slug}/", size, shots / f"orphan-{w}.png"
        )
        try:
            problems += [("orphan tool", w, *p) for p in found]
            notice = page.locator("#model-unavailable").inner_text()
            assert "(retired-7b) is not available" in notice
            assert page.locator("#run-form").count() == 0
        finally:
            context.close()
        found, page, context = _visit(
            browser,
            models_web,
            author,
            f"/build/{orphan.slug}/",
            size,
            shots / f"orphan-builder-{w}.png",
        )
        try:
            problems += [("orphan builder", w, *p) for p in found]
            assert page.locator("#id_model").input_value() == ""
            assert "no longer available" in page.locator("#id_model_error").inner_text()
            page.locator("#id_model").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"orphan-builder-model-{w}.png"))
        finally:
            context.close()
        for who, name, path in (
            (author, "versions", f"/t/{moved.slug}/versions/"),
            (staff, "admin", "/admin/tools/tool/models/"),
        ):
            found, page, context = _visit(
                browser, models_web, who, path, size, shots / f"{name}-{w}.png"
            )
            context.close()
            problems += [(name, w, *p) for p in found]
    assert not problems, "\n".join(map(str, problems))
