from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from store import demo, services
from store.models import Resource
from tools import services as tool_services
from tools.models import Category, Tool


class Command(BaseCommand):
    help = "Load the demo catalog (idempotent: existing rows are left as they are)."

    @transaction.atomic
    def handle(self, *args, **options):
        users = _users()
        cats = _categories()
        new_tools = _tools(author=users["ada"], cats=cats)
        new_resources = _resources(cats)
        _reviews(users)
        self.stdout.write(
            f"Demo catalog ready: {new_tools} tools and {new_resources} resources added "
            f"({Tool.objects.count()} tools, {Resource.objects.count()} resources in all). "
            f"Demo login: demo / {demo.DEMO_PASSWORD}"
        )


def _users() -> dict:
    """The demo people by username; new ones get the demo password and a profile."""
    User = get_user_model()
    users = {}
    for username, display, bio in demo.USERS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(demo.DEMO_PASSWORD)
            user.email = f"{username}@example.com"
            user.save()
            user.profile.display_name, user.profile.bio = display, bio
            user.profile.save()
        users[username] = user
    return users


def _categories() -> dict[str, Category]:
    cats = {}
    for name, slug, desc, order in demo.CATEGORIES:
        cats[slug], _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": desc, "ordering": order}
        )
    return cats


def _tools(*, author, cats: dict[str, Category]) -> int:
    """Create and publish the demo tools not there yet; returns how many were added."""
    added = 0
    for spec in demo.TOOLS:
        if not Tool.objects.filter(slug=spec["slug"]).exists():
            _tool_publish(spec, author=author, category=cats[spec["category"]])
            added += 1
    return added


def _tool_publish(spec: dict, *, author, category: Category) -> Tool:
    tool = tool_services.tool_create(
        author=author,
        name=spec["name"],
        slug=spec["slug"],
        tagline=spec["tagline"],
        description=spec["description"],
        category=category,
        tags=spec["tags"],
        icon=spec["icon"],
    )
    version = tool_services.tool_version_create(
        tool=tool,
        prompt_template=spec["template"],
        system_prompt=spec["system"],
        input_schema=spec["schema"],
        example_inputs=spec["examples"],
        sampling_defaults={"temperature": 0.3, "max_new_tokens": 200},
        changelog="First version",
    )
    tool_services.tool_publish(tool=tool, version=version)
    if spec.get("featured"):
        Tool.objects.filter(pk=tool.pk).update(featured=True)
    return tool


def _resources(cats: dict[str, Category]) -> int:
    """Create the demo resources not there yet (approved); returns how many were added."""
    added = 0
    for title, url, kind, desc, cat in demo.RESOURCES:
        if Resource.objects.filter(url=url).exists():
            continue
        res = Resource.objects.create(
            title=title,
            slug=tool_services.unique_slug(Resource, title),
            url=url,
            kind=kind,
            description=desc,
            category=cats[cat],
            approved=True,
        )
        services.resource_reindex(resource=res)
        added += 1
    return added


def _reviews(users: dict) -> None:
    for username, slug, stars, text in demo.REVIEWS:
        tool = Tool.objects.get(slug=slug)
        if not tool.reviews.filter(user=users[username]).exists():
            services.review_upsert(user=users[username], tool=tool, stars=stars, text=text)
