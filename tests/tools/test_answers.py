"""A run's answer rendered from untrusted Markdown: the structure survives, nothing active
does (tools/answers.py)."""

import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template import Context, Template

from tools.answers import MAX_MARKDOWN_CHARS, pygments_css, render_markdown

REL = 'rel="nofollow noopener noreferrer ugc"'


def _tags(html: str) -> set[str]:
    return set(re.findall(r"<([a-z0-9]+)", html))


def _attributes(html: str) -> set[str]:
    """Every attribute name on every element, as a browser's parser sees them."""
    names: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            names.update(name for name, _ in attrs)

    Collect().feed(html)
    return names


def test_headings_start_below_the_page_headings():
    html = render_markdown("# Title\n\n## Part\n\n#### Deep")
    assert "<h3>Title</h3>" in html and "<h4>Part</h4>" in html and "<h6>Deep</h6>" in html
    assert "<h1" not in html and "<h2" not in html
    # An answer whose top heading is "##" or "###" starts at h3 all the same (no skipped level).
    assert render_markdown("## A\n\n### B") == "<h3>A</h3>\n<h4>B</h4>\n"
    assert render_markdown("### A\n\n###### B") == "<h3>A</h3>\n<h6>B</h6>\n"


def test_lists_emphasis_quotes_and_strikethrough():
    html = render_markdown("- one\n- **two**\n\n1. a\n2. *b*\n\n> said\n\n~~gone~~")
    assert "<ul>\n<li>one</li>\n<li><strong>two</strong></li>\n</ul>" in html
    assert "<ol>" in html and "<em>b</em>" in html
    assert "<blockquote>" in html and "<s>gone</s>" in html


def test_ordered_list_keeps_its_start():
    assert '<ol start="3">' in render_markdown("3. three\n4. four")


def test_tables_with_alignment_as_classes_not_styles():
    html = render_markdown("| a | b | c |\n|:--|--:|:-:|\n| 1 | 2 | 3 |")
    assert "<table>" in html and "<thead>" in html and "<tbody>" in html
    assert '<th class="align-left">a</th>' in html and '<td class="align-right">2</td>' in html
    assert '<td class="align-center">3</td>' in html
    assert "style=" not in html  # the CSP (style-src 'self') would refuse inline styles


def test_code_fence_highlighted_with_pygments_classes():
    html = render_markdown('```python\nimport os\nprint("<b>hi</b>")\n```')
    assert '<pre data-lang="python"><code>' in html
    assert '<span class="kn">import</span>' in html and '<span class="nn">os</span>' in html
    assert '<span class="s2">"&lt;b&gt;hi&lt;/b&gt;"</span>' in html  # code stays text
    assert "<b>" not in html


def test_unknown_language_and_indented_code_are_escaped_text():
    html = render_markdown("```nosuchlang\n<script>alert(1)</script>\n```\n\n    <i>x</i>")
    assert "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>" in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html
    assert "<script" not in html and "<i>" not in html and "<span" not in html


def test_raw_html_is_shown_as_text():
    html = render_markdown(
        '<script>alert(1)</script>\n\nhi <b onclick="x()">bold</b> <iframe src="https://e.x">'
        '\n\n<div style="position:fixed">over</div>'
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b onclick=" in html and "&lt;iframe" in html and "&lt;div style=" in html
    # The iframe is text; the URL in that text is an ordinary link, like any bare URL.
    assert _tags(html) == {"p", "a"} and f'<a href="https://e.x" {REL}>' in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java&#09;script:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:image/png;base64,AAAA",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "/admin/",
        "//evil.example/x",
    ],
)
def test_only_http_https_and_mailto_links_survive(url):
    html = render_markdown(f"[click]({url}) <{url}>")
    assert "<a" not in html
    assert "href" not in html


def test_good_links_get_rel_and_nothing_else():
    html = render_markdown(
        '[site](https://example.com/a?b=1 "T") [mail](mailto:a@example.com) <http://x.example>'
    )
    assert f'<a href="https://example.com/a?b=1" title="T" {REL}>site</a>' in html
    assert f'<a href="mailto:a@example.com" {REL}>mail</a>' in html
    assert f'<a href="http://x.example" {REL}>http://x.example</a>' in html


def test_bare_urls_become_links_and_nothing_else_does():
    html = render_markdown(
        "Minutes: https://example.com/m?a=1. (http://x.example/p) Edit main.py, see "
        "www.example.com or bob@example.com; `https://in.code` and javascript:alert(1)\n\n"
        "```\nhttps://in.fence\n```"
    )
    assert f'<a href="https://example.com/m?a=1" {REL}>https://example.com/m?a=1</a>.' in html
    assert f'(<a href="http://x.example/p" {REL}>http://x.example/p</a>)' in html
    assert html.count("<a ") == 2  # no fuzzy links, nothing in code, no javascript:


def test_images_are_links_with_their_alt_text_never_loaded():
    html = render_markdown('![a *cat*](https://img.example/cat.png "Cat")')
    assert "<img" not in html
    assert (
        f'<a href="https://img.example/cat.png" class="md-image" title="Cat" {REL}>'
        "Image: a cat</a>" in html
    )
    # An image inside a link shows as text in that link (a link cannot hold another).
    html = render_markdown("[![badge](https://img.example/b.svg)](https://example.com)")
    assert (
        html.count("<a ") == 1 and f'<a href="https://example.com" {REL}>Image: badge</a>' in html
    )
    # An image with a URL no link may have stays Markdown text.
    html = render_markdown("![x](javascript:alert(1)) ![y](data:image/png;base64,AAA)")
    assert "<a" not in html and "<img" not in html


def test_event_handler_attributes_never_survive():
    html = render_markdown(
        '<img src=x onerror="alert(1)">\n\n[a](https://e.x "t\\" onmouseover=\\"alert(1)")'
        "\n\n<svg onload=alert(1)>"
    )
    assert "<img" not in html and "<svg" not in html
    assert _attributes(html) == {"href", "title", "rel"}


def test_sanitiser_is_a_second_wall():
    """Even HTML the parser would never produce loses what is not on the allowlist."""
    from tools.answers import sanitize

    html = sanitize(
        '<p onclick="x()" style="color:red" class="k">p</p><img src="https://e.x/i.png">'
        '<a href="javascript:alert(1)" target="_blank">a</a><a href="/rel">r</a>'
        '<span class="k evil">k</span><script>alert(1)</script><iframe></iframe>'
    )
    assert html == (
        '<p>p</p><a rel="nofollow noopener noreferrer ugc">a</a>'
        '<a rel="nofollow noopener noreferrer ugc">r</a><span class="k">k</span>'
    )


def test_very_long_input_stays_fast_and_readable():
    worst = "[" * (MAX_MARKDOWN_CHARS - 1)
    start = time.perf_counter()
    render_markdown(worst)
    render_markdown("*a" * (MAX_MARKDOWN_CHARS // 2 - 1))
    assert time.perf_counter() - start < 10  # ~1 s on a shared CPU; quadratic would be minutes
    over = "<b>x</b> **y** " * (MAX_MARKDOWN_CHARS // 10)
    start = time.perf_counter()
    html = render_markdown(over)
    assert time.perf_counter() - start < 0.5
    assert html.startswith('<p class="md-plain">&lt;b&gt;x&lt;/b&gt; **y**') and "<b>" not in html


def test_empty_and_none():
    assert render_markdown("") == "" and render_markdown(None) == ""


def test_template_filter_marks_the_rendering_safe():
    html = Template("{% load answers %}{{ text|markdown }}").render(
        Context({"text": "**hi** <script>x</script>"})
    )
    assert html == "<p><strong>hi</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"


def test_checked_in_stylesheet_matches_pygments():
    css = Path(__file__).resolve().parents[2] / "static" / "css" / "pygments.css"
    assert css.read_text() == pygments_css()
