"""The rows the page sweep shows: a published tool with two versions, reviews and a
favorite, a category, tags, a resource, a finished run and a shared run of the user, an
API token, and the people who see them (user, author, staff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from api import services as api_services
from tests.factories import (
    CategoryFactory,
    FavoriteFactory,
    ResourceFactory,
    ReviewFactory,
    RunFactory,
    TagFactory,
    ToolFactory,
    ToolVersionFactory,
    UserFactory,
)
from tools.models import Run, Tool

# Markdown of every kind the run page renders, and a long link a phone must wrap.
ANSWER = """## Summary

The team agreed to ship on **Friday**. Follow-ups:

1. Alexandra writes the release notes.
2. Bob checks the dashboards.

| owner | task | due |
|---|---|---|
| Alexandra | release notes | Thu |
| Bob | dashboards | Fri |

```python
def ship(day: str = "friday") -> bool:
    return day.lower() in {"thursday", "friday"}
```

Minutes: https://example.com/meetings/2026/12/02/a-rather-long-link-that-must-wrap-on-phones-too
"""

DESCRIPTION = """Paste the raw notes of a meeting and get **decisions**, owners and dates.

- Keeps names as written
- Lists open questions last
"""

LONG_URL = (
    "https://example.com/guides/prompting/"
    "summaries-of-meetings-with-many-participants-and-open-questions?utm_source=store"
)


@dataclass
class Data:
    user: object
    author: object
    staff: object
    category: object
    tag: object
    tool: Tool
    other_review: object
    resource: object
    run: Run
    shared_run: Run

    def reset_link(self, role: str) -> str:
        """A valid password-reset link of the role's own account (the user's when anonymous)."""
        who = {"author": self.author}.get(role, self.user)
        uid = urlsafe_base64_encode(force_bytes(who.pk))
        return f"/accounts/password/reset/{uid}/{default_token_generator.make_token(who)}/"

    def login_user(self, role: str):
        return {"user": self.user, "author": self.author, "staff": self.staff}.get(role)


def _finished(**fields) -> Run:
    # Timed after queued_at (set on save), so the run's figures come out positive.
    now = timezone.now()
    return RunFactory(
        state=Run.State.SUCCEEDED,
        output=ANSWER,
        finish_reason=Run.FinishReason.STOP,
        prompt_tokens=42,
        completion_tokens=120,
        attempts=1,
        started_at=now + timedelta(seconds=1),
        first_token_at=now + timedelta(seconds=2),
        finished_at=now + timedelta(seconds=4),
        **fields,
    )


def make_sweep_data() -> Data:
    user = UserFactory(username="alexandra", email="alexandra@example.com")
    author = UserFactory(username="maker_of_tools", email="maker@example.com")
    staff = UserFactory(username="moderator", is_staff=True, is_superuser=True)
    # A display name longer than most usernames: the header must still fit.
    author.profile.display_name = "Margaret Maker"
    author.profile.bio = "I build small tools for busy teams."
    author.profile.save()
    category = CategoryFactory(name="Productivity", description="Get more done.")
    tag = TagFactory(name="summaries")
    tool = ToolFactory(
        author=author,
        lister=True,
        name="Meeting Notes Summarizer",
        tagline="Turns messy meeting notes into decisions and action items",
        description=DESCRIPTION,
        category=category,
        tags=["summaries", "meetings"],
    )
    ToolVersionFactory(tool=tool, changelog="Shorter answers")
    ToolFactory(author=author, name="Subject Line Helper", category=category, tags=["email"])
    ReviewFactory(user=user, tool=tool, stars=5, text="Saves me ten minutes a meeting.")
    carol = UserFactory(username="carol")
    other_review = ReviewFactory(user=carol, tool=tool, stars=3, text="Good, a bit terse.")
    FavoriteFactory(user=user, tool=tool)
    resource = ResourceFactory(
        title="Prompting for summaries", url=LONG_URL, tags=[tag], description="A short guide."
    )
    inputs = {"topic": "the weekly sync", "count": 3, "tone": "plain"}
    run = _finished(user=user, tool=tool, inputs=inputs)
    shared_run = _finished(user=user, tool=tool, inputs=inputs, shared=True)
    # What the services count when runs like these finish (RunFactory stores rows as given).
    Tool.objects.filter(pk=tool.pk).update(run_count=2)
    api_services.token_create(user=user, name="laptop")
    return Data(user, author, staff, category, tag, tool, other_review, resource, run, shared_run)
