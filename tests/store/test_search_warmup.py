"""The search model is loaded in the background when a web process starts."""

import importlib

from store.search import embeddings


class _FakeModel:
    def __init__(self):
        self.calls = []

    def encode(self, texts, **kwargs):
        self.calls.append(list(texts))
        return [[0.0] * embeddings.EMBEDDING_DIM for _ in texts]


def test_warm_up_loads_the_model_and_encodes_once(monkeypatch):
    fake = _FakeModel()
    monkeypatch.setattr(embeddings, "_model", None)
    monkeypatch.setattr(embeddings, "_model_failed", False)
    monkeypatch.setattr(embeddings, "_load_model", lambda: fake)
    embeddings._embed_query_cached.cache_clear()
    thread = embeddings.warm_up_in_background()
    thread.join(10)
    assert thread.daemon and not thread.is_alive()
    assert embeddings._model is fake and fake.calls == [["warm up"]]
    embeddings._embed_query_cached.cache_clear()


def test_the_asgi_application_starts_the_warm_up_when_configured(monkeypatch, settings):
    import config.asgi
    import store.search

    started = []
    monkeypatch.setattr(store.search, "warm_up_in_background", lambda: started.append(1))
    settings.GPTSTORE_SEARCH_WARMUP = False
    importlib.reload(config.asgi)
    assert started == []
    settings.GPTSTORE_SEARCH_WARMUP = True
    importlib.reload(config.asgi)
    assert started == [1]
