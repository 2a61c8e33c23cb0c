"""OpenAI-compatible endpoints under /v1/: models, chat completions and completions.

Every completion is a Run made by tools.services, so it appears in the caller's history.
Results come from the run's Redis event stream (tools.streams.follow) and, once final, from
the stored Run (output and usage). Bearer = a personal API token. Errors use OpenAI's shape.

Modules, by concern: `access` (token, throttle, the wrapper every endpoint shares), `errors`,
`parsing` (request validation), `resolve` (model names: the base model or `tool:<slug>`),
`runs` (creating, following and cancelling the run), `bodies` and `streaming` (answers),
`views`.
"""
