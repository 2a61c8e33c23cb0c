"""Several models side by side, for real: one worker with two built-in engines (the default
SmolLM2 and a tiny random Llama written here), runs of both interleaved, each answered by its
own model; a model no worker serves waits queued, says why, and runs once a worker for it
starts."""

import time

import pytest
from django.test import Client

from bench import processes as stack
from tests.helpers import wait_final
from tests.tiny_models import write_tiny_llama
from tools import services, streams
from tools.models import Run
from tools.registry import get_model

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAIR = "models-pair"
LATER = "models-later"


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory):
    folder = write_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))
    path = tmp_path_factory.mktemp("registry") / "models.toml"
    path.write_text(
        f"""
[[models]]
id = "smol"
name = "SmolLM2"

[[models]]
id = "tiny"
name = "Tiny Llama"
path = "{folder}"
context_length = 256

[[models]]
id = "later"
name = "Later Llama"
path = "{folder}"
context_length = 256
"""
    )
    return path, folder


@pytest.fixture
def models_settings(settings, registry_file):
    settings.GPTSTORE_MODELS_FILE = str(registry_file[0])
    settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 20
    return settings


@pytest.fixture(scope="module")
def pair_worker(stack_env, registry_file):
    r = streams.client()
    r.delete("inference", "inference.smol", "inference.tiny", "inference.later", "default")
    env = {
        **stack_env,
        "GPTSTORE_MODELS_FILE": str(registry_file[0]),
        "GPTSTORE_WORKER_MODELS": "smol,tiny",
    }
    proc = stack.start_worker(env, PAIR, concurrency=8)
    try:
        metrics = stack.wait_engine_ready(r, PAIR, proc)
        assert set(metrics["models"]) == {"smol", "tiny"}
        yield env
    finally:
        stack.stop(proc)


def _tool(author, name: str, model: str):
    tool = services.tool_create(author=author, name=name)
    version = services.tool_version_create(
        tool=tool,
        prompt_template="Tell me about {{topic}}.",
        system_prompt="Be brief.",
        input_schema=[{"name": "topic", "type": "short_text"}],
        sampling_defaults={"temperature": 0.0, "max_new_tokens": 12},
        model=model,
    )
    services.tool_publish(tool=tool, version=version)
    tool.refresh_from_db()
    return tool


def _generate(path: str | None, run: Run) -> str:
    """The model's own `generate` on the run's prompt, greedy: the answer to expect."""
    import torch

    from inference import load_model
    from inference.prompts import encode_prompt

    lm = load_model(path, device="cpu")
    messages = [
        {"role": "system", "content": run.system_prompt},
        {"role": "user", "content": run.prompt},
    ]
    ids = encode_prompt(lm.tokenizer, lm.is_chat, None, messages)
    out = lm.model.generate(
        torch.tensor([ids]),
        attention_mask=torch.ones(1, len(ids), dtype=torch.long),
        max_new_tokens=run.completion_tokens,
        do_sample=False,
    )
    return lm.tokenizer.decode(out[0, len(ids) :], skip_special_tokens=True)


def test_two_models_in_one_worker_each_run_answered_by_its_own(
    pair_worker, models_settings, registry_file, user, django_user_model
):
    author = django_user_model.objects.create_user("models-author")
    smol, tiny = _tool(author, "On smol", "smol"), _tool(author, "On tiny", "tiny")
    topics = ["owls", "rivers", "bread", "stars"]
    runs = [
        services.run_create(tool=tool, user=user, inputs={"topic": topic})
        for topic in topics
        for tool in (smol, tiny)
    ]
    done = [wait_final(run.pk, timeout=180) for run in runs]
    assert [r.state for r in done] == ["succeeded"] * len(runs)
    assert [r.model_key for r in done] == ["smol", "tiny"] * len(topics)
    for run in done:  # both streamed, and the stream is the stored answer
        assert streams.streamed_text(run.pk) == run.output
    # Each answer is its own model's greedy `generate`: nothing crossed over.
    tiny_path = str(registry_file[1])
    assert done[1].output == _generate(tiny_path, done[1])
    assert done[0].output == _generate(None, done[0])
    assert done[0].output != done[1].output


def test_both_models_cancel(pair_worker, models_settings, user, django_user_model):
    author = django_user_model.objects.create_user("cancel-author")
    for model in ("smol", "tiny"):
        tool = _tool(author, f"Long on {model}", model)
        run = services.run_create(
            tool=tool, user=user, inputs={"topic": "a long story"}, sampling={"max_new_tokens": 200}
        )
        services.run_cancel(run=wait_running(run))
        final = wait_final(run.pk, timeout=60)
        assert final.state == "cancelled", (model, final.state, final.completion_tokens)
        assert (final.completion_tokens or 0) < 200


def wait_running(run: Run, timeout: float = 60.0) -> Run:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.state != Run.State.QUEUED:
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run.pk} never started")


def test_a_model_without_a_worker_waits_and_says_why(
    pair_worker, models_settings, stack_env, registry_file, user, django_user_model
):
    author = django_user_model.objects.create_user("later-author")
    tool = _tool(author, "On later", "later")
    run = services.run_create(tool=tool, user=user, inputs={"topic": "owls"})
    time.sleep(3)  # the pair worker is up and consuming; nothing takes this run
    run.refresh_from_db()
    assert run.state == Run.State.QUEUED
    c = Client()
    c.force_login(user)
    page = c.get(run.get_absolute_url()).content.decode()
    assert "No worker is serving Later Llama right now" in page
    env = {**pair_worker, "GPTSTORE_WORKER_MODELS": "later"}
    proc = stack.start_worker(env, LATER, concurrency=2)
    try:
        final = wait_final(run.pk, timeout=120)
        assert final.state == "succeeded" and final.output and final.model_key == "later"
        assert get_model("later").queue == "inference.later"
    finally:
        stack.stop(proc)
