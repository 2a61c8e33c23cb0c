"""The generated catalog: categories, tags, 400 users, N tools with one version each, reviews,
runs of the last 14 days and search vectors, written in bulk into the bench database.

Generation is seeded, so the same `--tools` gives the same catalog.
"""

from __future__ import annotations

import random
import time

from bench.catalog.database import compact, fill_derived_columns, write_marker
from bench.catalog.tasks import CATEGORIES, TASKS
from bench.catalog.words import ADJECTIVES, DOMAINS, SENTENCES
from bench.common import say

GENERATOR_VERSION = 2
SEED = 20261128
USERS = 400
AUTHORS = 300


def _unit(vec):
    import numpy as np

    vec = np.asarray(vec, dtype=np.float32)
    return vec / (np.linalg.norm(vec) or 1.0)


def _component_vectors(rng: random.Random) -> tuple[dict, dict, str]:
    """Real sentence embeddings of each task and each domain (about 100 short texts).

    A tool's vector is built from its task's and domain's (see `_new_tool`), so semantic
    search behaves realistically at a fraction of the cost of embedding 10,000 documents
    (about 8 minutes on two busy cores). Falls back to random unit vectors without the model.
    """
    import numpy as np

    from store import search
    from tools.models import EMBEDDING_DIM

    task_texts = [f"{stem}: {tagline.format(d='')}" for stem, tagline, _, _ in TASKS]
    domain_texts = [f"{title}: for {phrase} work" for title, phrase, _ in DOMAINS]
    vectors = search.embed_texts(task_texts + domain_texts)
    if vectors is None:
        nrng = np.random.default_rng(rng.randrange(2**32))
        vectors = [nrng.normal(size=EMBEDDING_DIM) for _ in task_texts + domain_texts]
        kind = "random unit vectors (the sentence model was unavailable)"
    else:
        kind = "task and domain sentence embeddings (all-MiniLM-L6-v2), mixed per tool"
    tasks = {t[0]: _unit(v) for t, v in zip(TASKS, vectors[: len(TASKS)], strict=True)}
    domains = {d[0]: _unit(v) for d, v in zip(DOMAINS, vectors[len(TASKS) :], strict=True)}
    return tasks, domains, kind


def generate(n_tools: int) -> dict:
    """Fill the (empty, migrated) bench database. Django must be set up on it."""
    import numpy as np
    from django.db import transaction

    from tools.models import Tool

    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    started = time.monotonic()
    task_vecs, domain_vecs, embedding_kind = _component_vectors(rng)
    say(f"embeddings: {embedding_kind} ({time.monotonic() - started:.1f} s)")
    with transaction.atomic():
        cats, tags = _create_taxonomy()
        users = _create_users()
        tools, tool_tags = _build_tools(
            rng, nrng, n_tools, cats, sorted(tags), users[:AUTHORS], (task_vecs, domain_vecs)
        )
        _create_tools(tools, tool_tags, tags)
        reviews = _create_reviews(rng, tools, users)
        fill_derived_columns()
    runs = _generate_runs(rng, tools, users)
    compact()
    info = {
        "version": GENERATOR_VERSION,
        "tools": n_tools,
        "listed": Tool.objects.filter(status="published", visibility="public").count(),
        "reviews": reviews,
        "runs_last_14_days": runs,
        "embeddings": embedding_kind,
        "seconds": round(time.monotonic() - started, 1),
    }
    write_marker(info)
    return info


def _create_taxonomy() -> tuple[dict, dict]:
    """All categories and every tag a task or domain uses: ({slug: Category}, {name: Tag})."""
    from django.utils.text import slugify

    from tools.models import Category, Tag

    cats = {
        slug: Category(name=name, slug=slug, ordering=i)
        for i, (name, slug) in enumerate(CATEGORIES)
    }
    Category.objects.bulk_create(cats.values())
    tag_names = sorted(
        {t for task in TASKS for t in task[3]} | {t for dom in DOMAINS for t in dom[2]}
    )
    tags = {name: Tag(name=name, slug=slugify(name)) for name in tag_names}
    Tag.objects.bulk_create(tags.values())
    return cats, tags


def _create_users() -> list:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from store.models import Profile

    password = make_password(None)
    users = [
        get_user_model()(
            username=f"bench{i:04d}", email=f"bench{i:04d}@example.com", password=password
        )
        for i in range(USERS)
    ]
    get_user_model().objects.bulk_create(users)
    Profile.objects.bulk_create(
        [Profile(user=u, display_name=f"Bench Author {u.pk}") for u in users]
    )
    return users


def _build_tools(rng, nrng, n_tools, cats, tag_names, authors, vectors) -> tuple[list, list]:
    """n_tools unsaved tools and the tag names of each."""
    from django.utils import timezone

    now = timezone.now()
    tools, tool_tags = [], []
    for i in range(n_tools):
        tool, names = _new_tool(rng, nrng, i, now, cats, tag_names, authors, vectors)
        tools.append(tool)
        tool_tags.append(names)
    return tools, tool_tags


def _new_tool(rng, nrng, i, now, cats, tag_names, authors, vectors):
    """One tool: a task for a domain, mostly published and public, with a vector between the
    two; it carries how many reviews it gets in `_bench_reviews`."""
    from django.utils import timezone
    from django.utils.text import slugify

    from tools.models import Tool

    task_vecs, domain_vecs = vectors
    stem, tagline, cat, task_tags = rng.choice(TASKS)
    title, phrase, dom_tags = rng.choice(DOMAINS)
    adjective = rng.choice(ADJECTIVES)
    name = rng.choice([f"{title} {stem}", f"{adjective} {title} {stem}", f"{adjective} {stem}"])
    status = rng.choices(["published", "draft", "removed"], [92, 5, 3])[0]
    visibility = rng.choices(["public", "unlisted", "private"], [92, 4, 4])[0]
    description = " ".join(
        [f"{name} helps with {phrase} work: {tagline.format(d=phrase).lower()}"]
        + rng.sample(SENTENCES, rng.randint(2, 4))
    )
    vec = 1.0 * task_vecs[stem] + 0.6 * domain_vecs[title]
    vec = _unit(vec + nrng.normal(scale=0.02, size=vec.shape[0]))
    reviews = rng.choices([0, rng.randint(1, 3), rng.randint(4, 25)], [55, 30, 15])[0]
    tool = Tool(
        name=name,
        slug=f"{slugify(name)}-{i}",
        tagline=tagline.format(d=phrase),
        description=description,
        category=cats[cat],
        author=rng.choice(authors),
        icon=rng.choice(["🤖", "📝", "🌍", "💡", "🧪", "🎨", "📊", "🍳"]),
        status=status,
        visibility=visibility,
        featured=status == "published" and rng.random() < 0.01,
        published_at=(
            None if status == "draft" else now - timezone.timedelta(days=rng.random() * 400)
        ),
        run_count=int(nrng.pareto(1.2) * 20),
        embedding=vec.tolist(),
    )
    tool._bench_reviews = reviews
    return tool, sorted(set(task_tags[:2] + dom_tags[:1] + rng.sample(tag_names, 1)))


def _create_tools(tools: list, tool_tags: list, tags: dict) -> None:
    """Save the tools with their tags and a first version each."""
    from tools.models import Tool, ToolVersion

    Tool.objects.bulk_create(tools, batch_size=1000)
    Through = Tool.tags.through
    Through.objects.bulk_create(
        [
            Through(tool_id=tool.pk, tag_id=tags[t].pk)
            for tool, names in zip(tools, tool_tags, strict=True)
            for t in names
        ],
        batch_size=5000,
    )
    ToolVersion.objects.bulk_create(
        [
            ToolVersion(
                tool=tool,
                number=1,
                prompt_template=f"{tool.tagline}\n\n{{{{text}}}}",
                input_schema=[{"name": "text", "label": "Text", "type": "long_text"}],
            )
            for tool in tools
        ],
        batch_size=2000,
    )


def _create_reviews(rng: random.Random, tools: list, reviewers: list) -> int:
    """Each tool's reviews, none by its author; returns how many."""
    from store.models import Review

    review_rows = []
    for tool in tools:
        for user in rng.sample(reviewers, tool._bench_reviews):
            if user.pk == tool.author_id:
                continue
            stars = min(5, max(1, round(rng.gauss(3.9, 1.0))))
            review_rows.append(
                Review(tool=tool, user=user, stars=stars, text=rng.choice(["", "", "Useful."]))
            )
    Review.objects.bulk_create(review_rows, batch_size=5000)
    return len(review_rows)


def _generate_runs(rng: random.Random, tools: list, users: list, n: int = 30_000) -> int:
    """Runs of the last 14 days, for "trending"; popular tools get most of them."""
    from django.db import connection, transaction

    from tools.models import Run

    listed = [t for t in tools if t.status == "published"]
    weights = [1.0 / (1 + i) ** 0.9 for i in range(len(listed))]
    rng.shuffle(listed)
    picks = rng.choices(listed, weights, k=n)
    runs = [
        Run(
            tool_id=t.pk,
            version_id=t.current_version_id or _version_id(t),
            user=rng.choice(users),
            prompt="bench",
            state="succeeded",
        )
        for t in picks
    ]
    for run in runs:  # bulk_create skips save(), which fills `thread` in
        run.thread = run.id
    with transaction.atomic():
        Run.objects.bulk_create(runs, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tools_run SET queued_at = now() - random() * interval '14 days'")
    return n


def _version_id(tool) -> int:
    from tools.models import ToolVersion

    return ToolVersion.objects.filter(tool_id=tool.pk).values_list("pk", flat=True).first()
