import pytest
from django.urls import reverse

from tools.models import Tool

pytestmark = pytest.mark.django_db


def test_main_pages_render(client, demo):
    tool = Tool.objects.get(slug="summarizer")
    urls = [
        reverse("home"),
        reverse("categories"),
        reverse("category", args=["writing"]),
        reverse("tag", args=["writing"]),
        reverse("resources"),
        reverse("resources") + "?kind=paper",
        reverse("search") + "?q=summarize",
        reverse("search") + "?q=&kind=resources",
        reverse("search_suggest") + "?q=sum",
        reverse("tool_detail", args=[tool.slug]),
        reverse("tool_detail", args=[tool.slug]) + "?reviews=helpful",
        reverse("author", args=["ada"]),
        reverse("login"),
        reverse("signup"),
        reverse("password_reset"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"site-search" in response.content or url.startswith("/search/suggest")


ODD = [
    "?q=%00%00",
    "?q=" + "x" * 5000,
    "?q=<script>alert(1)</script>",
    "?q=')) OR 1=1 --",
    "?q=&&||!!:*",
    "?page=abc",
    "?page=-1&sort=bogus&kind=nope&min_rating=9&category=nope&tag=nope",
    "?min_rating=abc&page=99999",
    "?q=translate&tag=translation&tag=language&category=language&min_rating=1&sort=newest",
    "?q=python&sort=rating",
    "?q=python&sort=runs&kind=resources",
    "?reviews=%27&part=reviews",
    "?kind=zzz&sort=zzz",
]


@pytest.mark.parametrize("query", ODD)
def test_odd_query_params_never_500(client, demo, query):
    for name, args in [
        ("search", []),
        ("home", []),
        ("resources", []),
        ("category", ["writing"]),
        ("tool_detail", ["translator"]),
        ("search_suggest", []),
    ]:
        response = client.get(reverse(name, args=args) + query)
        # NUL is refused by the input layer (config/input.py) before any view runs.
        expected = 400 if "%00" in query else 200
        assert response.status_code == expected, (name, query)


def test_unknown_objects_404(client, demo):
    for url in ["/t/nope/", "/c/nope/", "/tag/nope/", "/u/nobody/", "/resources/nope/"]:
        assert client.get(url).status_code == 404


def test_description_markdown_is_sanitised(client, make_tool):
    evil = (
        "# Title\n\n**bold** <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3)) <svg onload=alert(4)></svg> [ok](https://example.com)"
    )
    tool = make_tool("Markdown Tool", description=evil)
    html = client.get(tool.get_absolute_url()).content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>alert" not in html and "onerror" not in html and "onload" not in html
    assert "javascript:" not in html and '<img src="x"' not in html
    assert 'href="https://example.com"' in html and "nofollow" in html


def test_csp_header_and_no_inline_script_or_style(client, demo):
    response = client.get(reverse("tool_detail", args=["summarizer"]))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert " style=" not in html and "<style" not in html
    assert "<script>" not in html and "onclick" not in html


def test_home_lists(client, demo):
    response = client.get("/")
    ctx = response.context
    assert ctx["top_rated"] and ctx["newest"] and ctx["featured"]
    counts = {c.slug: c.tool_count for c in ctx["categories"]}
    assert counts["code"] == 3
