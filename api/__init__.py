"""REST API, personal API tokens and the OpenAI-compatible endpoints."""
