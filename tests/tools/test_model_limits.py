"""What a registered model's entry sets for its runs: default sampling under the tool's and
the request's, and a prompt limit from its context length."""

import pytest

from tools import registry, services
from tools.models import Run
from tools.sampling import prompt_limit
from tools.schema import SchemaError

pytestmark = pytest.mark.django_db

MODELS = """
[[models]]
id = "wide"
context_length = 32768

[[models]]
id = "narrow"
context_length = 64
sampling = { temperature = 0.3, top_p = 0.9, max_new_tokens = 16 }
"""


@pytest.fixture
def models_file(settings, tmp_path):
    path = tmp_path / "models.toml"
    path.write_text(MODELS)
    settings.GPTSTORE_MODELS_FILE = str(path)
    settings.GPTSTORE_MAX_PROMPT_TOKENS = 1536
    return path


def _on(tool, model_id):
    version = tool.current_version
    version.model = model_id
    version.save()
    tool.refresh_from_db()
    return tool


def test_the_limit_leaves_the_answer_room_within_the_context(settings):
    settings.GPTSTORE_MAX_PROMPT_TOKENS = 1536
    assert prompt_limit(context_length=32768, max_new_tokens=256) == 1536  # the global cap
    assert prompt_limit(context_length=1024, max_new_tokens=256) == 768
    # An answer never takes more than half the context from the prompt.
    assert prompt_limit(context_length=64, max_new_tokens=512) == 32


def test_a_models_sampling_applies_under_the_tools_and_the_requests(models_file, user, make_tool):
    plain = _on(make_tool("Plain"), "narrow")  # the tool sets no sampling of its own
    run = services.run_create(tool=plain, user=user, inputs={"text": "hi"})
    assert run.model_key == "narrow"
    assert (run.sampling["temperature"], run.sampling["top_p"]) == (0.3, 0.9)
    assert run.sampling["max_new_tokens"] == 16

    own = _on(make_tool("Own", temperature=1.1, max_new_tokens=8), "narrow")
    run = services.run_create(tool=own, user=user, inputs={"text": "hi"})
    assert (run.sampling["temperature"], run.sampling["max_new_tokens"]) == (1.1, 8)
    assert run.sampling["top_p"] == 0.9  # the tool did not set it: the model's

    asked = services.run_create(
        tool=own, user=user, inputs={"text": "hi"}, sampling={"temperature": 0.0}
    )
    assert asked.sampling["temperature"] == 0.0

    other = _on(make_tool("Other"), "wide")
    assert services.run_create(tool=other, user=user, inputs={"text": "hi"}).sampling[
        "temperature"
    ] == pytest.approx(0.7)


def test_a_base_model_run_takes_the_models_sampling(models_file, user):
    run = services.run_create_base(
        user=user, messages=[{"role": "user", "content": "hi"}], model_key="narrow"
    )
    assert (run.sampling["temperature"], run.sampling["max_new_tokens"]) == (0.3, 16)
    run = services.run_create_base(
        user=user,
        messages=[{"role": "user", "content": "hi"}],
        model_key="narrow",
        sampling={"temperature": 1.5},
    )
    assert run.sampling["temperature"] == 1.5


def test_a_prompt_over_a_small_models_context_is_refused_before_it_is_stored(
    models_file, user, make_tool
):
    text = "owls and larks " * 20  # about 60 tokens: over 64 - 16, far under 1536
    narrow = _on(make_tool("Narrow"), "narrow")
    with pytest.raises(SchemaError) as exc:
        services.run_create(tool=narrow, user=user, inputs={"text": text})
    assert "the limit is 48" in exc.value.errors["__all__"][0]
    assert exc.value.code == Run.ErrorCode.PROMPT_TOO_LONG
    assert not Run.objects.exists()

    wide = _on(make_tool("Wide"), "wide")
    assert services.run_create(tool=wide, user=user, inputs={"text": text}).model_key == "wide"

    with pytest.raises(SchemaError, match="prompt is too long"):
        services.run_create_base(
            user=user, messages=[{"role": "user", "content": text}], model_key="narrow"
        )


def test_a_conversation_outgrows_a_small_models_context_first(models_file, user, make_tool):
    narrow = _on(make_tool("Narrow"), "narrow")
    first = services.run_create(tool=narrow, user=user, inputs={"text": "hi"})
    Run.objects.filter(pk=first.pk).update(
        state=Run.State.SUCCEEDED, output="a fairly long answer about owls " * 4
    )
    first.refresh_from_db()
    with pytest.raises(SchemaError) as exc:
        services.run_followup(parent=first, user=user, message="and larks?")
    assert "too long for the model" in exc.value.errors["message"][0]
    assert "the limit is 48" in exc.value.errors["message"][0]
    assert registry.get_model("narrow").context_length == 64
