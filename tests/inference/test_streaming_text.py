"""Incremental detokenisation: whole characters only, stop strings held back and never emitted."""

from __future__ import annotations

import pytest

from inference import SamplingParams
from inference.detok import TextStream

TEXTS = ["你好，世界！今天天气很好。", "Emoji 🎉🚀 and 😀 café", "mixed 中文 and 🧪 tests"]


def _stream(tok, text: str, stop=()) -> tuple[list[str], str]:
    ids = tok(text, add_special_tokens=False)["input_ids"]
    ts = TextStream(tok, tok("Q:", add_special_tokens=False)["input_ids"], tuple(stop))
    pieces = [ts.add(i) for i in ids]
    pieces.append(ts.finish())
    return [p for p in pieces if p], ts.text


@pytest.mark.parametrize("text", TEXTS)
def test_multibyte_characters_never_split(tiny_llama, text):
    tok = tiny_llama.tokenizer
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert len(ids) > len(text) / 2  # really split into byte-level pieces
    assert any("\ufffd" in tok.decode([i]) for i in ids)  # single tokens are broken alone
    pieces, full = _stream(tok, text)
    assert "".join(pieces) == text == full
    assert all("\ufffd" not in p for p in pieces)


def test_stop_string_held_back_then_cut(tiny_llama):
    tok = tiny_llama.tokenizer
    pieces, full = _stream(tok, "Emoji are fun 🎉🚀 and so", stop=("🚀 and",))
    assert full == "Emoji are fun 🎉" == "".join(pieces)
    # a partial match that never completes is released at the end
    pieces, full = _stream(tok, "Emoji are fun 🎉🚀", stop=("🚀 and",))
    assert "".join(pieces) == full == "Emoji are fun 🎉🚀"


def test_smollm2_streams_chinese_and_emoji_cleanly(smollm_engine):
    seen: list[str] = []
    params = SamplingParams(temperature=0.0, max_new_tokens=40, ignore_eos=True)
    msgs = [{"role": "user", "content": "请用中文介绍一下北京，并加上一些表情符号 🎉。"}]
    h = smollm_engine.submit(messages=msgs, params=params, on_text=seen.append)
    pieces = list(h)
    res = h.result(120)
    assert pieces == seen and "".join(pieces) == res.text
    assert all("\ufffd" not in p for p in pieces)
    assert any(ord(c) > 0x2E80 for c in res.text)  # it did produce CJK or emoji characters
