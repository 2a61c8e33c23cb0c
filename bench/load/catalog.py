"""The load benchmark's data: a small browsable catalog, the tool that users run, and one
signed-in session per simulated user (made directly, not through the login form, whose
throttling is not what this benchmark measures)."""

from __future__ import annotations

import itertools

from bench.stack.workload import QUESTIONS, SYSTEM, TEMPLATE

CATEGORIES = ["Writing", "Code", "Study"]
TAGS = ["summary", "email", "python", "sql", "flashcards", "grammar", "poetry", "review"]
WORDS = ["Quick", "Friendly", "Precise", "Tiny", "Careful", "Bold"]
NOUNS = ["Summarizer", "Mailer", "Explainer", "Tutor", "Fixer", "Poet"]
QUERIES = ["summary", "email helper", "python", "explain sql", "poem", "tutor", "grammar fix"]
RUN_TOOL = "load-answers"


def prepare(*, users: int, max_new_tokens: int) -> dict:
    """Migrate the (fresh) database, fill it, and return the locustfile's configuration."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tools import streams
    from tools.models import Category
    from tools.services import tool_create, tool_publish, tool_version_create

    call_command("migrate", "--noinput", verbosity=0)
    streams.client().flushdb()  # this Redis db belongs to the benchmark
    settings.GPTSTORE_EMBED_ON_SAVE = False  # no embedding worker here: full-text search only
    author = get_user_model().objects.create_user("load-author", password="load-pass-123")
    cats = [
        Category.objects.create(name=name, slug=name.lower(), ordering=i)
        for i, name in enumerate(CATEGORIES)
    ]
    slugs = []
    for i, (word, noun) in enumerate(itertools.product(WORDS, NOUNS)):
        tool = tool_create(
            author=author,
            name=f"{word} {noun}",
            tagline=f"A {word.lower()} {noun.lower()} for everyday work",
            description=f"**{word}** help: {noun.lower()} tasks, done simply.",
            category=cats[i % len(cats)],
            tags=[TAGS[i % len(TAGS)], TAGS[(i * 3 + 1) % len(TAGS)]],
        )
        version = tool_version_create(
            tool=tool,
            prompt_template="Help with: {{text}}",
            input_schema=[{"name": "text", "type": "long_text"}],
        )
        tool_publish(tool=tool, version=version)
        slugs.append(tool.slug)
    run_tool = tool_create(author=author, name="Load Answers", slug=RUN_TOOL, category=cats[2])
    version = tool_version_create(
        tool=run_tool,
        prompt_template=TEMPLATE,
        system_prompt=SYSTEM,
        input_schema=[{"name": "question", "type": "short_text", "max_length": 300}],
        # No repetition penalty (the bundled model's default): the same decoding as the
        # engine measured alone, so both paths generate the same tokens.
        sampling_defaults={
            "temperature": 0.0,
            "max_new_tokens": max_new_tokens,
            "frequency_penalty": 0.0,
        },
    )
    tool_publish(tool=run_tool, version=version)
    return {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "sessions": [_session(f"load-user-{i}") for i in range(users)],
        "categories": [c.slug for c in cats],
        "tags": TAGS,
        "tools": slugs,
        "run_tool": RUN_TOOL,
        "questions": QUESTIONS,
        "queries": QUERIES,
    }


def _session(username: str) -> str:
    """A new user and the key of a signed-in session of theirs."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    user = get_user_model().objects.create_user(username, password="load-pass-123")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key
