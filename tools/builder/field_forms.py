"""The builder's input-field rows: one form per field of a tool's input schema, and the
formset that orders them and puts the schema's messages next to the field they are about."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory

from ..schema import FIELD_TYPES, MAX_FIELDS, SchemaError

TYPE_LABELS = {
    "short_text": "Short text",
    "long_text": "Long text",
    "integer": "Whole number",
    "number": "Number",
    "choice": "Choice",
    "boolean": "Yes / no",
}


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
