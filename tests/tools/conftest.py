import pytest

from tools import streams


@pytest.fixture
def tool(make_tool):
    """A published "lister": topic, count and tone fields; greedy, 8 new tokens."""
    return make_tool(lister=True)


@pytest.fixture
def redis_client():
    return streams.client()
