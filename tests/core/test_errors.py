"""The one application error type and its three renderings (pages, REST, OpenAI)."""

from django import forms

from core.errors import ApplicationError, drf_body, form_add_error, openai_body, response_headers


class _Form(forms.Form):
    topic = forms.CharField(required=False)


def test_field_messages_go_next_to_their_fields_and_the_rest_on_top():
    form = _Form(data={})
    assert form.is_valid()
    exc = ApplicationError(errors={"topic": ["Too short."], "__all__": ["Try again."]})
    form_add_error(form, exc)
    assert form.errors["topic"] == ["Too short."]
    assert form.non_field_errors() == ["Try again."]
    assert exc.message == "Too short.; Try again." and exc.param == "topic"


def test_a_plain_message_is_a_form_wide_error():
    form = _Form(data={})
    form.is_valid()
    form_add_error(form, ApplicationError("Runs are paused."))
    assert form.non_field_errors() == ["Runs are paused."]


def test_rest_and_openai_bodies_carry_the_code():
    exc = ApplicationError("Slow down.", code="too_many_live_runs", status=429)
    assert drf_body(exc) == {"detail": "Slow down.", "code": "too_many_live_runs"}
    assert openai_body(exc)["error"] == {
        "message": "Slow down.",
        "type": "rate_limit_error",
        "param": None,
        "code": "too_many_live_runs",
    }
    assert drf_body(ApplicationError(errors={"stars": ["1 to 5."]})) == {
        "stars": ["1 to 5."],
        "code": "invalid",
    }


def test_openai_types_follow_openais_own_three():
    def kind(status):
        return openai_body(ApplicationError("x", status=status))["error"]["type"]

    assert [kind(s) for s in (400, 401, 404, 429, 500, 503)] == [
        "invalid_request_error",
        "invalid_request_error",
        "invalid_request_error",
        "rate_limit_error",
        "server_error",
        "server_error",
    ]


def test_refusals_that_pass_with_time_say_when_to_retry():
    assert response_headers(ApplicationError("x", status=503)) == {"Retry-After": "5"}
    assert response_headers(ApplicationError("x", status=400)) == {}
