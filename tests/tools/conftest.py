import pytest

# Transitional, until tests/tools/test_sse.py imports these from tests.helpers.
from tools import streams


@pytest.fixture
def tool(make_tool):
    """A published "lister": topic, count and tone fields; greedy, 8 new tokens."""
    return make_tool(lister=True)


@pytest.fixture
def redis_client():
    return streams.client()
