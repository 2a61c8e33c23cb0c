"""Catalog load benchmark (issue 5): search and home page under a steady open-loop load.

    python -m store.bench [--tools 10000] [--rate 20] [--duration 20] [--quick]

1. A separate database, `gptstore_bench`, on the same PostgreSQL server as DATABASE_URL (the
   embedded one under var/ when DATABASE_URL is unset), migrated and filled once with
   generated tools (reused while its marker matches; `--regenerate` builds it again).
2. A real uvicorn server (store.asgi, one process, DEBUG off) on a free loopback port,
   warmed up (the first search loads the sentence model).
3. An open-loop load generator (asyncio + httpx): requests leave at fixed times whatever
   the server does, latency is measured from the *scheduled* send time (no coordinated
   omission), every phase is bounded in time. First a steady `--rate` on each page, then a
   step-up to the highest rate whose p95 stays under 500 ms.

Prints a table and writes var/bench/catalog.json. Stops the server (and any embedded
service it started) on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from store import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
OUT_DIR = embedded.VAR_DIR / "bench"
BENCH_DB = "gptstore_bench"
BENCH_REDIS_DB = 3  # the bench server's cache must not mix with a dev stack's (db 0) or tests (1)
GENERATOR_VERSION = 2
SEED = 20261128
PY = sys.executable

SEARCH_P95_TARGET_MS = 100.0
HOME_P95_TARGET_MS = 150.0
PEAK_P95_LIMIT_MS = 500.0
PEAK_MAX_ERROR_RATE = 0.01
STEP_RATES = [20, 25, 30, 35, 40, 50, 60, 70, 80, 100, 120, 160, 200, 240, 320, 400]
REQUEST_TIMEOUT_S = 10.0


def _say(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- the generated catalog ------------------------------------------------------------------

CATEGORIES = [
    ("Writing", "writing"),
    ("Learning", "learning"),
    ("Language", "language"),
    ("Code", "code"),
    ("Marketing", "marketing"),
    ("Fun", "fun"),
    ("Productivity", "productivity"),
    ("Data", "data"),
    ("Design", "design"),
    ("Business", "business"),
    ("Education", "education"),
    ("Health", "health"),
]

# (name stem, tagline, category slug, tags): what a tool does.
TASKS = [
    (
        "Summarizer",
        "Turn long {d} text into a short, clear summary.",
        "writing",
        ["summarization", "writing", "productivity"],
    ),
    (
        "Translator",
        "Translate {d} phrases between languages.",
        "language",
        ["translation", "language"],
    ),
    (
        "Grammar Fixer",
        "Fix grammar and spelling in {d} writing.",
        "language",
        ["grammar", "proofreading", "writing"],
    ),
    (
        "Email Writer",
        "Draft polite, clear {d} e-mails in seconds.",
        "writing",
        ["email", "writing", "communication"],
    ),
    (
        "Code Explainer",
        "Explain {d} code line by line in plain words.",
        "code",
        ["code", "explanation", "programming"],
    ),
    (
        "Bug Finder",
        "Spot likely bugs in {d} code snippets.",
        "code",
        ["debugging", "code", "programming"],
    ),
    (
        "SQL Helper",
        "Write and explain SQL queries for {d} data.",
        "data",
        ["sql", "database", "data"],
    ),
    (
        "Headline Generator",
        "Catchy headlines for {d} articles and ads.",
        "marketing",
        ["headlines", "copywriting", "marketing"],
    ),
    (
        "Product Describer",
        "Persuasive product descriptions for {d} shops.",
        "marketing",
        ["ecommerce", "copywriting", "marketing"],
    ),
    ("Poem Maker", "Short playful poems about {d} topics.", "fun", ["poetry", "creative", "fun"]),
    ("Joke Teller", "Clean jokes about {d} for any audience.", "fun", ["humor", "fun"]),
    (
        "Quiz Builder",
        "Multiple-choice quizzes on {d} subjects.",
        "education",
        ["quiz", "education", "teaching"],
    ),
    (
        "Flashcard Maker",
        "Study flashcards from {d} notes.",
        "education",
        ["flashcards", "studying", "education"],
    ),
    (
        "Tutor",
        "Patient step-by-step explanations of {d} concepts.",
        "learning",
        ["tutoring", "learning", "explanation"],
    ),
    (
        "Question Answerer",
        "Short answers to {d} questions.",
        "learning",
        ["question answering", "learning"],
    ),
    (
        "Meeting Notes",
        "Tidy {d} meeting notes with action items.",
        "productivity",
        ["meetings", "notes", "productivity"],
    ),
    (
        "Task Planner",
        "Break {d} goals into a simple plan.",
        "productivity",
        ["planning", "productivity", "todo"],
    ),
    (
        "Recipe Finder",
        "Recipe ideas from what is in your {d} kitchen.",
        "health",
        ["cooking", "recipes", "food"],
    ),
    (
        "Workout Coach",
        "Simple {d} workout routines for beginners.",
        "health",
        ["fitness", "health", "exercise"],
    ),
    (
        "Cover Letter Writer",
        "Tailored cover letters for {d} jobs.",
        "business",
        ["jobs", "career", "writing"],
    ),
    (
        "Resume Polisher",
        "Stronger bullet points for {d} resumes.",
        "business",
        ["resume", "career", "jobs"],
    ),
    (
        "Slogan Maker",
        "Short memorable slogans for {d} brands.",
        "marketing",
        ["branding", "slogans", "marketing"],
    ),
    (
        "Color Palette Picker",
        "Harmonious colour palettes for {d} designs.",
        "design",
        ["color", "design", "ui"],
    ),
    (
        "Logo Brief Writer",
        "Clear logo briefs for {d} designers.",
        "design",
        ["logo", "branding", "design"],
    ),
    (
        "Tone Rewriter",
        "Rewrite {d} text in a friendlier or more formal tone.",
        "writing",
        ["rewriting", "tone", "writing"],
    ),
    (
        "Paraphraser",
        "Say the same {d} idea in other words.",
        "writing",
        ["paraphrasing", "rewriting", "writing"],
    ),
    (
        "Regex Builder",
        "Build and explain regular expressions for {d} text.",
        "code",
        ["regex", "code", "programming"],
    ),
    (
        "Unit Test Writer",
        "Unit tests for {d} functions.",
        "code",
        ["testing", "code", "programming"],
    ),
    (
        "Data Cleaner",
        "Tidy messy {d} spreadsheets and CSV files.",
        "data",
        ["csv", "spreadsheets", "data"],
    ),
    (
        "Chart Advisor",
        "Pick the right chart for your {d} data.",
        "data",
        ["charts", "visualization", "data"],
    ),
    (
        "Business Plan Helper",
        "Outline a lean business plan for a {d} idea.",
        "business",
        ["startup", "planning", "business"],
    ),
    (
        "Negotiation Coach",
        "Practise {d} negotiations with tips.",
        "business",
        ["negotiation", "communication", "business"],
    ),
    (
        "Story Starter",
        "Opening lines for {d} short stories.",
        "fun",
        ["stories", "creative", "writing"],
    ),
    (
        "Vocabulary Builder",
        "Learn new {d} words with examples.",
        "language",
        ["vocabulary", "language", "learning"],
    ),
    (
        "Essay Outliner",
        "Structured outlines for {d} essays.",
        "education",
        ["essays", "writing", "education"],
    ),
    (
        "Sentiment Analyzer",
        "Tell whether {d} reviews are positive or negative.",
        "data",
        ["sentiment", "analysis", "data"],
    ),
    (
        "Keyword Extractor",
        "Pull the key terms out of {d} documents.",
        "data",
        ["keywords", "seo", "analysis"],
    ),
    (
        "Social Post Writer",
        "Short social media posts for {d} accounts.",
        "marketing",
        ["social media", "copywriting", "marketing"],
    ),
    (
        "Habit Tracker Coach",
        "Friendly nudges for {d} habits.",
        "health",
        ["habits", "wellbeing", "health"],
    ),
    (
        "Name Generator",
        "Fresh names for {d} products and pets.",
        "fun",
        ["names", "creative", "branding"],
    ),
]

# (title word for names, phrase for taglines, tags): who or what the tool is for.
DOMAINS = [
    ("Legal", "legal", ["law", "contracts"]),
    ("Medical", "medical", ["medicine", "healthcare"]),
    ("Startup", "startup", ["startups", "entrepreneurs"]),
    ("Student", "student", ["students", "school"]),
    ("Academic", "academic", ["research", "academia"]),
    ("Python", "Python", ["python"]),
    ("JavaScript", "JavaScript", ["javascript", "web"]),
    ("Finance", "finance", ["finance", "money"]),
    ("Travel", "travel", ["travel", "tourism"]),
    ("Real Estate", "real estate", ["real estate", "property"]),
    ("Gaming", "gaming", ["games", "gaming"]),
    ("Music", "music", ["music"]),
    ("Science", "science", ["science"]),
    ("History", "history", ["history"]),
    ("Kids", "children's", ["kids", "family"]),
    ("Small Business", "small business", ["small business", "smb"]),
    ("HR", "HR", ["hr", "hiring"]),
    ("Sales", "sales", ["sales", "crm"]),
    ("Support", "customer support", ["customer support", "helpdesk"]),
    ("E-commerce", "online store", ["ecommerce", "retail"]),
    ("Nonprofit", "nonprofit", ["nonprofit", "charity"]),
    ("Cooking", "cooking", ["cooking", "food"]),
    ("Fitness", "fitness", ["fitness", "sport"]),
    ("Parenting", "parenting", ["parenting", "family"]),
    ("Podcast", "podcast", ["podcasts", "audio"]),
    ("YouTube", "video", ["video", "youtube"]),
    ("Newsletter", "newsletter", ["newsletters", "email"]),
    ("Chemistry", "chemistry", ["chemistry", "science"]),
    ("Math", "maths", ["math", "education"]),
    ("Biology", "biology", ["biology", "science"]),
    ("Spanish", "Spanish", ["spanish", "translation"]),
    ("French", "French", ["french", "translation"]),
    ("German", "German", ["german", "translation"]),
    ("Japanese", "Japanese", ["japanese", "translation"]),
    ("Chinese", "Chinese", ["chinese", "translation"]),
    ("Marketing", "marketing", ["marketing", "growth"]),
    ("Design", "design", ["design", "ux"]),
    ("DevOps", "DevOps", ["devops", "cloud"]),
    ("Security", "security", ["security", "privacy"]),
    ("Rust", "Rust", ["rust"]),
    ("Go", "Go", ["golang"]),
    ("SQL", "database", ["sql", "database"]),
    ("Gardening", "gardening", ["gardening", "plants"]),
    ("Pets", "pet", ["pets", "animals"]),
    ("Wedding", "wedding", ["weddings", "events"]),
    ("Event", "event", ["events", "planning"]),
    ("Nursing", "nursing", ["nursing", "healthcare"]),
    ("Teacher", "classroom", ["teachers", "classroom"]),
    ("Remote Work", "remote team", ["remote work", "teams"]),
    ("Everyday", "everyday", ["everyday", "general"]),
]

ADJECTIVES = [
    "Quick",
    "Smart",
    "Simple",
    "Pro",
    "Tiny",
    "Handy",
    "Clever",
    "Friendly",
    "Instant",
    "Easy",
    "Pocket",
    "Swift",
    "Bright",
    "Neat",
    "Super",
    "Lite",
    "Daily",
    "Expert",
    "Mini",
    "Turbo",
    "Calm",
    "Bold",
    "Plain",
    "Magic",
]

SENTENCES = [
    "Paste your text and get a result in a few seconds.",
    "Works best on short English inputs of a few paragraphs.",
    "Small models can be confidently wrong, so double-check important facts.",
    "Choose the length and tone you want before you run it.",
    "Great for busy teams who need a first draft fast.",
    "Keeps your formatting and lists where it can.",
    "Try the example inputs to see what it does.",
    "Built on the store's own language model; no data leaves the server.",
    "Ideal for beginners as well as experienced users.",
    "Results improve when you give one or two concrete examples.",
    "Handles bullet points, headings and plain paragraphs.",
    "Use it as a starting point and edit the result to taste.",
]

# Search traffic: what visitors type. Each entry is the query string of /search/.
SEARCH_QUERIES: list[dict] = [
    # exact names and name parts
    *(
        {"q": q}
        for q in [
            "Translator",
            "Summarizer",
            "Email Writer",
            "SQL Helper",
            "Code Explainer",
            "Quiz Builder",
            "Recipe Finder",
            "Tutor",
            "Legal Summarizer",
            "Python Bug Finder",
            "Resume Polisher",
        ]
    ),
    # typos
    *(
        {"q": q}
        for q in [
            "transalte",
            "sumarizer",
            "emial writer",
            "grammer fixer",
            "recipie finder",
            "pyhton code explainer",
            "flashcrad maker",
            "headlne generator",
        ]
    ),
    # several words
    *(
        {"q": q}
        for q in [
            "python code review",
            "marketing email for startups",
            "translate legal documents",
            "quiz for biology class",
            "social media posts for a small business",
            "wedding speech",
        ]
    ),
    # semantic phrasing
    *(
        {"q": q}
        for q in [
            "shorten this text",
            "help me write a cover letter",
            "make my writing sound more professional",
            "explain this code to a beginner",
            "what should I cook tonight",
            "find mistakes in my program",
            "ideas for a company name",
        ]
    ),
    # empty, filters and sorts
    {"q": ""},
    {"q": "", "sort": "newest"},
    {"q": "email", "category": "marketing"},
    {"q": "translation", "sort": "rating"},
    {"q": "summary", "min_rating": "4"},
    {"q": "!!!"},
]


def _ensure_database(admin_url: str, name: str, *, recreate: bool = False) -> bool:
    """Create `name` on admin_url's server if missing (drop it first with recreate).

    Returns True when the database was (re)created.
    """
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def _marker(url: str) -> dict | None:
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT v FROM bench_marker WHERE k = 'catalog'").fetchone()
    except psycopg.Error:
        return None
    return json.loads(row[0]) if row else None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _unit(vec):
    import numpy as np

    vec = np.asarray(vec, dtype=np.float32)
    return vec / (np.linalg.norm(vec) or 1.0)


def _component_vectors(rng: random.Random) -> tuple[dict, dict, str]:
    """Real sentence embeddings of each task and each domain (about 100 short texts).

    A tool's vector is built from its task's and domain's (see `generate`), so semantic
    search behaves realistically at a fraction of the cost of embedding 10,000 documents
    (about 8 minutes on two busy cores). Falls back to random unit vectors without the model.
    """
    import numpy as np

    from store import search
    from store.models import EMBEDDING_DIM

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
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from store.models import Category, Profile, Review, Tag, Tool, ToolVersion

    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    started = time.monotonic()
    task_vecs, domain_vecs, embedding_kind = _component_vectors(rng)
    _say(f"embeddings: {embedding_kind} ({time.monotonic() - started:.1f} s)")
    now = timezone.now()
    User = get_user_model()
    with transaction.atomic():
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
        password = make_password(None)
        users = [
            User(username=f"bench{i:04d}", email=f"bench{i:04d}@example.com", password=password)
            for i in range(400)
        ]
        User.objects.bulk_create(users)
        Profile.objects.bulk_create(
            [Profile(user=u, display_name=f"Bench Author {u.pk}") for u in users]
        )
        authors = users[:300]
        reviewers = users

        tools, tool_tags = [], []
        for i in range(n_tools):
            stem, tagline, cat, task_tags = rng.choice(TASKS)
            title, phrase, dom_tags = rng.choice(DOMAINS)
            adjective = rng.choice(ADJECTIVES)
            name = rng.choice(
                [f"{title} {stem}", f"{adjective} {title} {stem}", f"{adjective} {stem}"]
            )
            status = rng.choices(["published", "draft", "removed"], [92, 5, 3])[0]
            visibility = rng.choices(["public", "unlisted", "private"], [92, 4, 4])[0]
            description = " ".join(
                [f"{name} helps with {phrase} work: {tagline.format(d=phrase).lower()}"]
                + rng.sample(SENTENCES, rng.randint(2, 4))
            )
            vec = 1.0 * task_vecs[stem] + 0.6 * domain_vecs[title]
            vec = _unit(vec + nrng.normal(scale=0.02, size=vec.shape[0]))
            reviews = rng.choices([0, rng.randint(1, 3), rng.randint(4, 25)], [55, 30, 15])[0]
            tools.append(
                Tool(
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
                        None
                        if status == "draft"
                        else now - timezone.timedelta(days=rng.random() * 400)
                    ),
                    run_count=int(nrng.pareto(1.2) * 20),
                    embedding=vec.tolist(),
                )
            )
            tool_tags.append(sorted(set(task_tags[:2] + dom_tags[:1] + rng.sample(tag_names, 1))))
            tools[-1]._bench_reviews = reviews
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
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE store_tool t SET current_version_id = v.id "
                "FROM store_toolversion v WHERE v.tool_id = t.id"
            )
            cursor.execute(
                "UPDATE store_tool t SET review_count = r.n, rating_sum = r.s "
                "FROM (SELECT tool_id, count(*) n, sum(stars) s FROM store_review "
                "GROUP BY tool_id) r WHERE r.tool_id = t.id"
            )
            # The same weighted vector as services.tool_reindex, for every tool at once.
            cursor.execute(
                """
                UPDATE store_tool t SET search_vector =
                    setweight(to_tsvector('english', coalesce(t.name, '')), 'A')
                    || setweight(to_tsvector('english', coalesce(t.tagline, '')), 'B')
                    || setweight(to_tsvector('english', coalesce(g.names, '')), 'B')
                    || setweight(to_tsvector('english', coalesce(t.description, '')), 'C')
                FROM (
                    SELECT tt.tool_id, string_agg(tag.name, ' ') AS names
                    FROM store_tool_tags tt JOIN store_tag tag ON tag.id = tt.tag_id
                    GROUP BY tt.tool_id
                ) g
                WHERE g.tool_id = t.id
                """
            )
    runs = _generate_runs(rng, tools, users)
    with connection.cursor() as cursor:
        # The bulk UPDATEs above left a dead copy of every row: compact, as a catalog that
        # grew over time under autovacuum would be, and refresh the planner's statistics.
        cursor.execute("VACUUM FULL ANALYZE store_tool")
        cursor.execute("VACUUM ANALYZE")
    info = {
        "version": GENERATOR_VERSION,
        "tools": n_tools,
        "listed": Tool.objects.filter(status="published", visibility="public").count(),
        "reviews": len(review_rows),
        "runs_last_14_days": runs,
        "embeddings": embedding_kind,
        "seconds": round(time.monotonic() - started, 1),
    }
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_marker (k text PRIMARY KEY, v text)")
        cursor.execute(
            "INSERT INTO bench_marker VALUES ('catalog', %s) "
            "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
            [json.dumps(info)],
        )
    return info


def _generate_runs(rng: random.Random, tools: list, users: list, n: int = 30_000) -> int:
    """Runs of the last 14 days for "trending" (skipped if the runs model is not there)."""
    from django.db import DatabaseError, connection, transaction

    from store import selectors

    run_model, time_field = selectors._run_model_and_time_field()
    if run_model is None:
        _say("no runs model: trending falls back to run counts")
        return 0
    listed = [t for t in tools if t.status == "published"]
    weights = [1.0 / (1 + i) ** 0.9 for i in range(len(listed))]
    rng.shuffle(listed)
    picks = rng.choices(listed, weights, k=n)
    try:
        with transaction.atomic():
            run_model.objects.bulk_create(
                [
                    run_model(
                        tool_id=t.pk,
                        version_id=t.current_version_id or _version_id(t),
                        user=rng.choice(users),
                        prompt="bench",
                        state="succeeded",
                    )
                    for t in picks
                ],
                batch_size=5000,
            )
            table = connection.ops.quote_name(run_model._meta.db_table)
            column = connection.ops.quote_name(run_model._meta.get_field(time_field).column)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {column} = now() - random() * interval '14 days'"
                )
    except (DatabaseError, TypeError, ValueError) as exc:
        _say(f"runs not generated ({exc}); trending falls back to run counts")
        return 0
    return n


def _version_id(tool) -> int:
    from store.models import ToolVersion

    return ToolVersion.objects.filter(tool_id=tool.pk).values_list("pk", flat=True).first()


# --- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            PY,
            "-m",
            "uvicorn",
            "store.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "5",
        ],
        env=env,
        cwd=BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc._bench_log = log
    return proc


def stop_server(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    proc._bench_log.close()


async def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode}")
            try:
                if (await client.get("/healthz", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")


# --- the load generator ---------------------------------------------------------------------


def _percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


async def open_loop(client, paths, *, rate: float, duration: float) -> dict:
    """Send len = rate*duration GETs at fixed times; latency counts from the scheduled time.

    Bounded: requests still open REQUEST_TIMEOUT_S after the last send are cancelled and
    counted as errors (with their time so far as latency).
    """
    import httpx

    loop = asyncio.get_running_loop()
    n = max(1, int(rate * duration))
    results: list[tuple[float, bool, float]] = []  # latency, ok, completion time
    lags: list[float] = []
    statuses: dict[str, int] = {}

    async def one(path: str, scheduled: float) -> None:
        ok, status = False, "error"
        try:
            response = await client.get(path, timeout=REQUEST_TIMEOUT_S)
            ok = response.status_code == 200
            status = str(response.status_code)
        except httpx.TimeoutException:
            status = "timeout"
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        finally:
            now = loop.time()
            results.append((now - scheduled, ok, now))
            statuses[status] = statuses.get(status, 0) + 1

    t0 = loop.time() + 0.05
    tasks: dict[asyncio.Task, float] = {}
    for i in range(n):
        scheduled = t0 + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(loop.time() - scheduled)
        tasks[asyncio.create_task(one(paths[i % len(paths)], scheduled))] = scheduled
    _, pending = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT_S)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    latencies = sorted(r[0] * 1000 for r in results)
    errors = sum(1 for r in results if not r[1])
    done_ok = n - errors
    return {
        "rate_target": rate,
        "duration_s": duration,
        "requests": n,
        "ok": done_ok,
        "errors": errors,
        "statuses": statuses,
        # Completed answers per second over the phase (the send window or longer).
        "achieved_rps": round(done_ok / max(max(r[2] for r in results) - t0, duration), 1),
        "p50_ms": round(_percentile(latencies, 50), 1),
        "p95_ms": round(_percentile(latencies, 95), 1),
        "p99_ms": round(_percentile(latencies, 99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "max_send_lag_ms": round(max(lags) * 1000, 1),
        "load": _load(),
    }


async def drain(client, seconds: float = 30) -> None:
    """Wait until the server answers quickly again (after an overload step)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        with contextlib.suppress(Exception):  # any failure: keep waiting
            await client.get("/healthz", timeout=5)
        if time.monotonic() - start < 0.05:
            return
        await asyncio.sleep(0.5)


def _search_paths(rng: random.Random, n: int) -> list[str]:
    paths = []
    for _ in range(n):
        params = rng.choice(SEARCH_QUERIES)
        paths.append("/search/?" + urlencode(params))
    return paths


async def run_load(base: str, args) -> dict:
    import httpx

    rng = random.Random(SEED + 1)
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    report: dict = {"steady": {}, "peak": {}}
    pages = {
        "search": _search_paths(rng, 5000),
        "home": ["/"],
    }
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:
        _say("warming up (the first search loads the sentence model)…")
        start = time.monotonic()
        first = await client.get("/search/?q=translator", timeout=120)
        first.raise_for_status()
        report["first_search_s"] = round(time.monotonic() - start, 2)
        for params in SEARCH_QUERIES:  # popular queries: their embeddings are cached
            (await client.get("/search/?" + urlencode(params), timeout=60)).raise_for_status()
        for _ in range(5):
            (await client.get("/", timeout=60)).raise_for_status()

        for page in ("search", "home"):
            await drain(client)
            _say(f"{page}: {args.rate} req/s for {args.duration} s (load {_load()})")
            report["steady"][page] = await open_loop(
                client, pages[page], rate=args.rate, duration=args.duration
            )
        for page in ("search", "home"):
            steps = []
            peak = 0
            for rate in STEP_RATES:
                if rate > args.max_rate:
                    break
                await drain(client)
                _say(f"{page} step-up: {rate} req/s for {args.step_duration} s (load {_load()})")
                result = await open_loop(
                    client, pages[page], rate=rate, duration=args.step_duration
                )
                steps.append(result)
                if (
                    result["p95_ms"] >= PEAK_P95_LIMIT_MS
                    or result["errors"] > PEAK_MAX_ERROR_RATE * result["requests"]
                ):
                    break
                peak = rate
            report["peak"][page] = {"peak_rps": peak, "steps": steps}
    return report


# --- reporting ------------------------------------------------------------------------------


def print_table(report: dict) -> None:
    cols = (
        "page",
        "phase",
        "target/s",
        "achieved/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "load 1/5/15",
    )
    rows = []
    for page, res in report["steady"].items():
        rows.append((page, "steady", res))
    for page, peak in report["peak"].items():
        for res in peak["steps"]:
            rows.append((page, "step-up", res))
    table = [cols] + [
        (
            page,
            phase,
            f"{r['rate_target']:g}",
            f"{r['achieved_rps']:g}",
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            f"{r['errors']}/{r['requests']}",
            r["load"],
        )
        for page, phase, r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(cols))]
    for j, row in enumerate(table):
        print("  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
        if j == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for page, target in (("search", SEARCH_P95_TARGET_MS), ("home", HOME_P95_TARGET_MS)):
        steady = report["steady"].get(page)
        if steady:
            verdict = "PASS" if steady["p95_ms"] < target and not steady["errors"] else "FAIL"
            print(
                f"{page}: p95 {steady['p95_ms']:.1f} ms at {steady['rate_target']:g} req/s "
                f"(target < {target:g} ms) {verdict}; peak with p95 < {PEAK_P95_LIMIT_MS:g} ms: "
                f"{report['peak'].get(page, {}).get('peak_rps', '?')} req/s"
            )


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m store.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--tools", type=int, default=10_000, help="generated tools (10000)")
    parser.add_argument("--rate", type=float, default=20, help="steady request rate (20/s)")
    parser.add_argument("--duration", type=float, default=20, help="steady phase seconds (20)")
    parser.add_argument("--step-duration", type=float, default=10, help="step-up phase seconds")
    parser.add_argument("--max-rate", type=float, default=400, help="highest step-up rate")
    parser.add_argument("--quick", action="store_true", help="short phases (smoke run)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the bench database")
    parser.add_argument("--output", type=Path, default=OUT_DIR / "catalog.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = min(args.duration, 8)
        args.step_duration = min(args.step_duration, 4)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    started: list[str] = []
    proc = None
    try:
        svc = embedded.ensure_up()
        started = [n for n in svc.pop("GPTSTORE_STARTED").split(",") if n]
        base_db = os.environ.get("DATABASE_URL") or svc["DATABASE_URL"]
        redis = os.environ.get("REDIS_URL") or embedded.redis_url(db=BENCH_REDIS_DB)
        db_url = _with_database(base_db, BENCH_DB)
        admin_url = _with_database(base_db, "postgres").replace("postgres://", "postgresql://", 1)
        env = {
            **os.environ,
            # DEBUG off; another settings module (e.g. one with a connection pool) can be
            # benchmarked by setting DJANGO_SETTINGS_MODULE.
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "store.settings.dev"
            ),
            "DEBUG": "False",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis,
            "PYTHONUNBUFFERED": "1",
            # The server runs with the default connection pool (DB_POOL_SIZE). Without one
            # (DB_POOL_SIZE=0), persistent connections (CONN_MAX_AGE > 0) pile up under ASGI
            # until PostgreSQL refuses more clients, so they stay off here.
            "CONN_MAX_AGE": os.environ.get("BENCH_CONN_MAX_AGE", "0"),
        }
        marker = _marker(db_url.replace("postgres://", "postgresql://", 1))
        wanted = {"version": GENERATOR_VERSION, "tools": args.tools}
        fresh = args.regenerate or not marker or any(marker.get(k) != v for k, v in wanted.items())
        if fresh:
            _say(f"creating database {BENCH_DB} with {args.tools} generated tools…")
            _ensure_database(admin_url, BENCH_DB, recreate=True)
        subprocess.run(
            [PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=BASE_DIR, check=True
        )
        os.environ.update(
            {k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")}
        )
        import django

        django.setup()
        logging.getLogger("httpx").setLevel(logging.WARNING)
        if fresh:
            catalog = generate(args.tools)
            _say(f"generated in {catalog['seconds']} s: {catalog}")
        else:
            catalog = marker
            _say(f"reusing {BENCH_DB}: {catalog}")
        from django.db import connections

        connections.close_all()

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(env, port, OUT_DIR / "catalog-server.log")
        asyncio.run(wait_ready(base, proc))
        _say(f"server up at {base} (pid {proc.pid}); load {_load()}")
        report = asyncio.run(run_load(base, args))
        report.update(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "catalog": catalog,
                "settings": {
                    "rate": args.rate,
                    "duration_s": args.duration,
                    "step_duration_s": args.step_duration,
                    "targets_ms": {
                        "search_p95": SEARCH_P95_TARGET_MS,
                        "home_p95": HOME_P95_TARGET_MS,
                        "peak_p95": PEAK_P95_LIMIT_MS,
                    },
                    "server": "uvicorn store.asgi:application, 1 process, DEBUG=False",
                    "cpus": os.cpu_count(),
                },
            }
        )
        print()
        print_table(report)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2))
        _say(f"wrote {args.output}")
        steady = report["steady"]
        ok = (
            steady["search"]["p95_ms"] < SEARCH_P95_TARGET_MS
            and steady["home"]["p95_ms"] < HOME_P95_TARGET_MS
        )
        return 0 if ok else 1
    except (embedded.ServiceError, RuntimeError, subprocess.CalledProcessError) as exc:
        _say(f"error: {exc}")
        return 2
    finally:
        stop_server(proc)
        embedded.stop(started)


if __name__ == "__main__":
    sys.exit(main())
