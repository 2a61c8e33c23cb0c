"""Forms of the tool builder. They parse and bound input; the rules of a valid tool live in
`tools.schema` (called by the services), whose messages are mapped back onto these forms.

Only the fields listed here can change: author, status, featured and counters are not form
fields, so posting them does nothing (mass assignment).
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator

from core.cleaning import BadJSON, loads_checked

from ..models import Category, Tool
from ..registry import ModelSpec, default_model_id, get_model, models
from ..sampling import DEFAULT_MAX_NEW_TOKENS, DEFAULT_TEMPERATURE, SAMPLING_RANGES

MAX_TAGS = 8
TEXT_CAP = 8000
DESCRIPTION_CAP = 10_000
# The sampling settings the builder shows; a version's other ones are kept as they are.
FORM_SAMPLING = ("temperature", "max_new_tokens", "frequency_penalty")


def model_help(spec: ModelSpec) -> str:
    """What the builder says under the Model select about one model."""
    about = spec.description.strip()
    if about and about[-1] not in ".!?":
        about += "."
    return f"{about} Up to {spec.context_length:,} tokens of context.".strip()


class ModelSelect(forms.Select):
    """A select whose options carry their model's description, which builder.js shows
    under it for the chosen one."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        spec = get_model(str(value)) if value else None  # "" would be the default model
        if spec is not None:
            option["attrs"]["data-help"] = model_help(spec)
        return option


class ToolBuilderForm(forms.Form):
    name = forms.CharField(max_length=80)
    tagline = forms.CharField(max_length=160, required=False)
    description = forms.CharField(
        max_length=DESCRIPTION_CAP,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown. No images or HTML; links are allowed.",
    )
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    tags = forms.CharField(
        max_length=400, required=False, help_text=f"Comma-separated, {MAX_TAGS} at most."
    )
    icon = forms.CharField(max_length=16, required=False, initial="🤖", help_text="An emoji.")
    visibility = forms.ChoiceField(
        choices=Tool.Visibility.choices,
        initial=Tool.Visibility.PUBLIC,
        help_text="Public tools are listed and searchable; unlisted ones open by link only; "
        "private ones only for you. A draft is only ever visible to you.",
    )
    # Not required: a post without it keeps the edited version's model ("" to the services).
    model = forms.ChoiceField(
        widget=ModelSelect,
        required=False,
        error_messages={
            "invalid_choice": "The model %(value)s is not available on this store. "
            "Choose one from the list.",
        },
    )
    system_prompt = forms.CharField(
        max_length=TEXT_CAP, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    prompt_template = forms.CharField(
        max_length=TEXT_CAP,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Use {{field_name}} for each input field.",
    )
    prompt_public = forms.BooleanField(
        required=False,
        label="Prompt visible and remixable",
        help_text="Off: only you (and staff) can read the prompt and system prompt, and "
        "nobody else can remix the tool. On: everyone who can open the tool can do both.",
    )
    temperature = forms.FloatField(
        min_value=SAMPLING_RANGES["temperature"][0],
        max_value=SAMPLING_RANGES["temperature"][1],
        required=False,
        initial=DEFAULT_TEMPERATURE,
    )
    max_new_tokens = forms.IntegerField(
        min_value=SAMPLING_RANGES["max_new_tokens"][0],
        required=False,
        label="Max tokens",
        initial=DEFAULT_MAX_NEW_TOKENS,
    )
    # 0 and up: the API also takes negative values (more repetition), no tool's need.
    frequency_penalty = forms.FloatField(
        min_value=0.0,
        max_value=SAMPLING_RANGES["frequency_penalty"][1],
        required=False,
        label="Repetition penalty",
        help_text="0 to 2; higher repeats words less (OpenAI's frequency penalty). "
        "Empty: the model's default.",
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "Model's default"}),
    )
    example_inputs = forms.CharField(
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='A JSON list of example inputs, e.g. [{"text": "Hello"}].',
    )
    changelog = forms.CharField(
        max_length=200, required=False, help_text="What changed in this version (one line)."
    )

    def __init__(self, *args, pinned_model: str = "", **kwargs):
        """`pinned_model`: the model of the version being edited ("" for a new tool)."""
        super().__init__(*args, **kwargs)
        self._model_setup(pinned_model)
        cap = settings.GPTSTORE_MAX_NEW_TOKENS
        field = self.fields["max_new_tokens"]
        field.max_value = cap
        field.validators.append(MaxValueValidator(cap))
        field.widget.attrs["max"] = cap
        field.help_text = f"1 to {cap} (the server's limit)."

    def _model_setup(self, pinned: str) -> None:
        field = self.fields["model"]
        field.choices = [(m.id, m.name) for m in models().values()]
        unavailable = bool(pinned) and get_model(pinned) is None
        self.model_unavailable = ""
        if unavailable:
            # Offering the registry's first model here would silently move the tool to it;
            # the author has to choose, and is told why.
            field.choices = [("", "Choose a model"), *field.choices]
            self.model_unavailable = (
                f"This tool's model ({pinned}) is no longer available on this store, so it "
                "cannot run. Choose another model and save."
            )
        if not self.is_bound:
            chosen = self.initial.get("model") or pinned or default_model_id()
            self.initial["model"] = chosen if get_model(chosen) is not None else ""
        chosen = self.data.get(self.add_prefix("model")) if self.is_bound else self.initial["model"]
        spec = get_model(chosen) if chosen else None
        # Set before the first self["model"]: a bound field copies its help text once.
        field.help_text = model_help(spec) if spec is not None else ""
        if unavailable:
            auto_id = self["model"].auto_id
            field.widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": f"{auto_id}_helptext {auto_id}_error"}
            )

    def clean_tags(self) -> list[str]:
        names = [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(f"At most {MAX_TAGS} tags.")
        if any(len(n) > 40 for n in names):
            raise forms.ValidationError("Tags have 40 characters at most.")
        return names

    def clean_example_inputs(self) -> list:
        raw = self.cleaned_data["example_inputs"].strip()
        if not raw:
            return []
        try:
            value = loads_checked(raw)
        except BadJSON as exc:
            raise forms.ValidationError(str(exc)) from exc
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from exc
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise forms.ValidationError("Write a list of objects, one per example.")
        if len(value) > 10:
            raise forms.ValidationError("At most 10 examples.")
        return value

    def tool_fields(self) -> dict:
        d = self.cleaned_data
        return {
            "name": d["name"].strip(),
            "tagline": d["tagline"].strip(),
            "description": d["description"],
            "category": d["category"],
            "icon": d["icon"].strip() or "🤖",
            "visibility": d["visibility"],
            "prompt_public": d["prompt_public"],
        }

    def version_fields(
        self, input_schema: list[dict], *, kept_sampling: dict | None = None
    ) -> dict:
        """`kept_sampling`: the edited version's sampling defaults; the settings this form
        does not show (top_p, presence_penalty, set over the API) carry over unchanged."""
        d = self.cleaned_data
        sampling = {k: v for k, v in (kept_sampling or {}).items() if k not in FORM_SAMPLING}
        for name in FORM_SAMPLING:
            if d.get(name) is not None:
                sampling[name] = d[name]
        return {
            "prompt_template": d["prompt_template"],
            "system_prompt": d["system_prompt"],
            "input_schema": input_schema,
            "sampling_defaults": sampling,
            "example_inputs": d["example_inputs"],
            "changelog": d["changelog"].strip(),
            "model": d["model"],
        }

    @classmethod
    def initial_for(cls, tool: Tool, version) -> dict:
        initial = {
            "name": tool.name,
            "tagline": tool.tagline,
            "description": tool.description,
            "category": tool.category_id,
            "tags": ", ".join(tool.tags.values_list("name", flat=True)),
            "icon": tool.icon,
            "visibility": tool.visibility,
            "prompt_public": tool.prompt_public,
        }
        if version is not None:
            sampling = version.sampling_defaults or {}
            initial.update(
                {
                    "system_prompt": version.system_prompt,
                    "prompt_template": version.prompt_template,
                    "model": version.model,
                    "temperature": sampling.get("temperature"),
                    "max_new_tokens": sampling.get("max_new_tokens"),
                    "frequency_penalty": sampling.get("frequency_penalty"),
                    "example_inputs": json.dumps(version.example_inputs, ensure_ascii=False)
                    if version.example_inputs
                    else "",
                }
            )
        return initial


class PublishForm(forms.Form):
    visibility = forms.ChoiceField(choices=Tool.Visibility.choices, widget=forms.RadioSelect)
    changelog = forms.CharField(max_length=200, required=False)
