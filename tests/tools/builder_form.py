"""A complete builder POST, for the builder's page tests."""

TWO_FIELDS = [
    {"name": "text", "label": "Text", "type": "long_text"},
    {"name": "tone", "label": "Tone", "type": "choice", "choices": ["plain", "fun"]},
]


def builder_post(**overrides) -> dict:
    """A complete, valid builder POST with two fields (a long text and a choice)."""
    data = {
        "name": "Summarizer",
        "tagline": "Short summaries",
        "description": "Makes **short** summaries.",
        "category": "",
        "tags": "writing, summary",
        "icon": "📝",
        "visibility": "public",
        "system_prompt": "You are brief.",
        "prompt_template": "Summarize in a {{tone}} tone: {{text}}",
        "temperature": "0.5",
        "max_new_tokens": "64",
        "example_inputs": "",
        "changelog": "",
        "fields-TOTAL_FORMS": "2",
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "20",
        "fields-0-name": "text",
        "fields-0-label": "Text",
        "fields-0-type": "long_text",
        "fields-0-required": "on",
        "fields-0-ORDER": "1",
        "fields-1-name": "tone",
        "fields-1-label": "Tone",
        "fields-1-type": "choice",
        "fields-1-required": "on",
        "fields-1-choices": "plain\nfun",
        "fields-1-ORDER": "2",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
