"""Forms built from a tool version's typed input schema.

The form gives widgets, field errors and one-click examples; the authoritative check is
`tools.schema.validate_inputs`, called again by `run_create` whatever the form said.
"""

from __future__ import annotations

from django import forms

from core.errors import form_add_error

from .schema import SchemaError, normalize_schema, validate_inputs

PREFIX = "in"


class RunForm(forms.Form):
    """Fields are added per schema; `inputs()` returns the typed values after is_valid()."""

    def __init__(self, *args, schema: list[dict], examples: list | None = None, **kwargs):
        kwargs.setdefault("prefix", PREFIX)
        super().__init__(*args, **kwargs)
        self.schema = schema
        for spec in schema:
            self.fields[spec["name"]] = _field(spec)
        self.examples = _examples(schema, examples or [], self.add_prefix)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.cleaned_data["__inputs__"] = validate_inputs(self.schema, self.raw_inputs())
        except SchemaError as exc:
            form_add_error(self, exc)
        return cleaned

    def raw_inputs(self) -> dict:
        out = {}
        for spec in self.schema:
            value = self.cleaned_data.get(spec["name"])
            if value is None or value == "":
                continue
            out[spec["name"]] = value
        return out

    def inputs(self) -> dict:
        return self.cleaned_data["__inputs__"]


def _field(spec: dict) -> forms.Field:
    ftype = spec["type"]
    common = {
        "label": spec.get("label") or spec["name"],
        "help_text": spec.get("help", ""),
        "required": bool(spec.get("required", True)) and spec.get("default") in (None, ""),
        "initial": spec.get("default"),
    }
    if ftype == "short_text":
        return forms.CharField(max_length=spec.get("max_length"), strip=False, **common)
    if ftype == "long_text":
        return forms.CharField(
            max_length=spec.get("max_length"),
            strip=False,
            widget=forms.Textarea(attrs={"rows": 6}),
            **common,
        )
    if ftype == "integer":
        return forms.IntegerField(min_value=spec.get("min"), max_value=spec.get("max"), **common)
    if ftype == "number":
        return forms.FloatField(min_value=spec.get("min"), max_value=spec.get("max"), **common)
    if ftype == "choice":
        choices = [(c, c) for c in spec["choices"]]
        if not common["required"] and common["initial"] in (None, ""):
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, **common)
    if ftype == "boolean":
        common["required"] = False
        return forms.BooleanField(**common)
    raise ValueError(f"unknown field type {ftype!r}")


def _examples(schema: list[dict], examples: list, add_prefix) -> list[dict]:
    """Examples that fit the schema, as {label, values: {html name: value}} for the page JS."""
    out = []
    for i, example in enumerate(examples[:10]):
        if not isinstance(example, dict):
            continue
        try:
            typed = validate_inputs(schema, example)
        except SchemaError:
            continue
        first = next((v for v in typed.values() if isinstance(v, str) and v.strip()), "")
        label = first[:40] + ("…" if len(first) > 40 else "") if first else f"Example {i + 1}"
        out.append({"label": label, "values": {add_prefix(k): v for k, v in typed.items()}})
    return out


def run_form_for(version, data=None, initial: dict | None = None):
    """The run form of a tool version (bound when `data` is given, else prefilled from
    `initial`, a run's inputs), or None without one."""
    if version is None:
        return None
    try:
        schema = normalize_schema(version.input_schema)
    except SchemaError:
        return None
    return RunForm(data, schema=schema, examples=version.example_inputs, initial=initial)


def run_form_data(inputs: dict) -> dict:
    """What a browser would post to fill the run form with a stored run's `inputs`, so
    "Run again" goes through the form's own checks."""
    data = {}
    for name, value in inputs.items():
        if value is None or value is False:
            continue  # an unchecked box or an empty optional field is not posted
        data[f"{PREFIX}-{name}"] = "on" if value is True else str(value)
    return data


class FollowupForm(forms.Form):
    """The box under a finished answer; `tools.services.run_followup` has the last word."""

    message = forms.CharField(
        label="Follow up",
        max_length=8000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "Ask a follow-up question…", "maxlength": 8000}
        ),
    )
