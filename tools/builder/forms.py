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
from django.forms import formset_factory

from core.cleaning import BadJSON, loads_checked

from ..models import Category, Tool
from ..registry import ModelSpec, default_model_id, get_model, models
from ..sampling import DEFAULT_MAX_NEW_TOKENS, DEFAULT_TEMPERATURE, SAMPLING_RANGES
from ..schema import FIELD_TYPES, MAX_FIELDS, SchemaError

TYPE_LABELS = {
    "short_text": "Short text",
    "long_text": "Long text",
    "integer": "Whole number",
    "number": "Number",
    "choice": "Choice",
    "boolean": "Yes / no",
}
MAX_TAGS = 8
TEXT_CAP = 8000
DESCRIPTION_CAP = 10_000


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

    def version_fields(self, input_schema: list[dict]) -> dict:
        d = self.cleaned_data
        sampling = {}
        if d.get("temperature") is not None:
            sampling["temperature"] = d["temperature"]
        if d.get("max_new_tokens") is not None:
            sampling["max_new_tokens"] = d["max_new_tokens"]
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
                    "example_inputs": json.dumps(version.example_inputs, ensure_ascii=False)
                    if version.example_inputs
                    else "",
                }
            )
        return initial


class InputFieldForm(forms.Form):
    """One input field of the tool. Type-specific settings are ignored for other types."""

    name = forms.CharField(max_length=40, help_text="a-z, 0-9 and _; used as {{name}}.")
    label = forms.CharField(max_length=80, required=False)
    type = forms.ChoiceField(choices=[(t, TYPE_LABELS[t]) for t in FIELD_TYPES])
    required = forms.BooleanField(required=False, initial=True)
    default = forms.CharField(max_length=500, required=False)
    help = forms.CharField(max_length=300, required=False, label="Help text")
    max_length = forms.IntegerField(required=False, min_value=1, label="Max length")
    min = forms.FloatField(required=False, label="Min")
    max = forms.FloatField(required=False, label="Max")
    choices = forms.CharField(
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One choice per line.",
    )

    def to_schema(self) -> dict:
        """The schema dict of this field; validation is left to tools.schema."""
        d = self.cleaned_data
        ftype = d["type"]
        field = {
            "name": d["name"].strip(),
            "label": d["label"].strip(),
            "type": ftype,
            "required": bool(d["required"]),
            "help": d["help"].strip(),
        }
        if not field["label"]:
            field.pop("label")
        if ftype in ("short_text", "long_text") and d.get("max_length") is not None:
            field["max_length"] = d["max_length"]
        if ftype in ("integer", "number"):
            for bound in ("min", "max"):
                value = d.get(bound)
                if value is not None:
                    field[bound] = int(value) if float(value).is_integer() else value
        if ftype == "choice":
            field["choices"] = [c.strip() for c in d["choices"].splitlines() if c.strip()]
        default = d["default"]
        if default != "":
            field["default"] = _typed_default(ftype, default)
        return field

    @staticmethod
    def initial_from_schema(spec: dict) -> dict:
        return {
            "name": spec.get("name", ""),
            "label": spec.get("label", ""),
            "type": spec.get("type", "short_text"),
            "required": spec.get("required", True),
            "default": "" if spec.get("default") is None else _default_text(spec["default"]),
            "help": spec.get("help", ""),
            "max_length": spec.get("max_length"),
            "min": spec.get("min"),
            "max": spec.get("max"),
            "choices": "\n".join(spec.get("choices", [])),
        }


def _typed_default(ftype: str, text: str):
    """The default as its field's type when it parses; else the text (the schema refuses it)."""
    text = text.strip()
    try:
        if ftype == "integer":
            return int(text)
        if ftype == "number":
            return float(text)
    except ValueError:
        return text
    if ftype == "boolean":
        return text.lower() in ("true", "yes", "on", "1")
    return text


def _default_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


BaseInputFieldFormSet = formset_factory(
    InputFieldForm,
    extra=0,
    can_delete=True,
    can_order=True,
    max_num=MAX_FIELDS,
    validate_max=True,
    absolute_max=MAX_FIELDS + 5,
)


class InputFieldFormSet(BaseInputFieldFormSet):
    def kept_forms(self) -> list[InputFieldForm]:
        """The fields the author keeps, in their chosen order (after is_valid()): deleted
        rows and untouched new rows are left out."""
        return list(self.ordered_forms)

    def schema(self) -> list[dict]:
        return [f.to_schema() for f in self.kept_forms()]

    def add_schema_errors(self, exc: SchemaError, form: forms.Form) -> None:
        """Put tools.schema messages next to the field they are about."""
        kept = self.kept_forms()
        by_name = {f.cleaned_data.get("name", "").strip(): f for f in kept}
        for key, messages in exc.errors.items():
            target = None
            if key in by_name:
                target = by_name[key]
            elif key.startswith("field ") and key[6:].isdigit():
                i = int(key[6:]) - 1
                target = kept[i] if 0 <= i < len(kept) else None
            for message in messages:
                if key in ("prompt_template",):
                    form.add_error("prompt_template", message)
                elif key == "sampling_defaults":
                    form.add_error(None, message)
                elif target is not None:
                    target.add_error(None, message)
                    self._schema_errors.append(f"{key}: {message}")
                else:
                    form.add_error(None, message if key == "__all__" else f"{key}: {message}")

    def full_clean(self):
        self._schema_errors: list[str] = []
        super().full_clean()

    @property
    def schema_errors(self) -> list[str]:
        return getattr(self, "_schema_errors", [])


def input_field_formset(data=None, *, schema: list[dict] | None = None) -> InputFieldFormSet:
    initial = [InputFieldForm.initial_from_schema(s) for s in (schema or [])]
    return InputFieldFormSet(data, initial=None if data is not None else initial, prefix="fields")


class PublishForm(forms.Form):
    visibility = forms.ChoiceField(choices=Tool.Visibility.choices, widget=forms.RadioSelect)
    changelog = forms.CharField(max_length=200, required=False)
