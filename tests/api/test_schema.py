"""The OpenAPI schema: valid, served with local docs, and fuzzed by schemathesis."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks as core_checks
from schemathesis.specs.openapi import checks as oa_checks

pytestmark = pytest.mark.django_db

# Per operation; ~30 s for the whole API on 2 cores. Raise it for a deeper local run.
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))


def test_schema_is_valid_and_describes_auth_and_errors(anon):
    from drf_spectacular.validation import validate_schema

    response = anon.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "gpts_<prefix>_<secret>",
        "description": "A personal API token created on the token settings page.",
    }
    tool_list = schema["paths"]["/api/tools/"]["get"]
    assert {"200", "400", "401", "404", "429"} <= set(tool_list["responses"])
    assert "Retry-After" in tool_list["responses"]["429"]["headers"]
    # A body DRF has no parser for is a 415 (the fuzzer found one); reads take no body.
    assert "415" in schema["paths"]["/api/favorites/"]["post"]["responses"]
    assert "415" not in tool_list["responses"]
    params = {p["name"] for p in tool_list["parameters"]}
    assert {"q", "category", "tag", "sort", "min_rating", "page", "page_size"} <= params
    assert "/api/tools/{slug}/publish/" in schema["paths"]
    assert "/api/tools/{tool_slug}/versions/" in schema["paths"]
    events = schema["paths"]["/api/runs/{id}/events/"]["get"]
    assert "text/event-stream" in events["responses"]["200"]["content"]
    # Read-only fields are not part of any request body.
    tool_request = schema["components"]["schemas"]["ToolRequest"]["properties"]
    assert not {"author", "status", "featured", "run_count", "slug"} & set(tool_request)


def test_docs_are_served_locally(anon):
    page = anon.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html and "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "unpkg" not in html
    old = anon.get("/api/redoc/")
    assert old.status_code == 301 and old["Location"] == "/api/docs/"


def _load_schema():
    # Built in-process (no request, no database) so the fuzz tests are parametrized per
    # operation at collection time. (schemathesis' lazy `from_fixture` loader does not
    # work with pytest 9.)
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))
    loaded.app = get_wsgi_application()
    # The run event stream is an open-ended stream, exercised by the SSE tests instead.
    return loaded.exclude(path_regex=r"/events/$")


@pytest.fixture
def keep_connection():
    # As Django's test client does: the test's connection (and transaction) must survive
    # each request instead of being closed at its end.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(catalog, user, make_tool):
    """Data for the fuzzer to find: the catalog fixture, plus a token for Alice."""
    from api.services import token_create

    make_tool("Fuzz Target", author=user)
    _, secret = token_create(user=user, name="fuzz")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def runs_end_at_once(monkeypatch, settings):
    """/v1/ completions wait for their run's stream, and no worker runs here: every stream
    ends at once (an empty answer), so each valid request is a whole 200 answer, not a wait
    until the timeout. Parsing, run creation and the answer bodies are still the real ones."""
    from tools import streams

    async def ended(run, last_id="0-0", *, timeout=None):
        return
        yield  # an async generator, like the real one

    monkeypatch.setattr(streams, "follow", ended)
    # The runs stay queued: without these, the live-run cap answers 429 after a few.
    settings.GPTSTORE_MAX_LIVE_RUNS_PER_USER = 1_000_000
    settings.GPTSTORE_DAILY_TOKEN_BUDGET = 0


schema = _load_schema()
CHECKS = [
    core_checks.not_a_server_error,
    oa_checks.status_code_conformance,
    oa_checks.content_type_conformance,
    oa_checks.response_headers_conformance,
    oa_checks.response_schema_conformance,
]


# Minutes of requests: in the full suite (CI), not in `make test-fast`.
@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_fuzz_api(case, seeded, keep_connection, runs_end_at_once):
    case.call_and_validate(headers=seeded, checks=CHECKS)
