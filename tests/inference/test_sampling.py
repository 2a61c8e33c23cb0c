import math

import torch

from inference.params import SamplingParams
from inference.sampling import draw, sample


def test_draw_follows_the_distribution_and_never_picks_a_zero():
    probs = torch.tensor([0.7, 0.0, 0.2, 0.1, 0.0])
    gen = torch.Generator().manual_seed(0)
    n = 20_000
    counts = torch.bincount(torch.tensor([draw(probs, gen) for _ in range(n)]), minlength=5)
    freq = counts.float() / n
    assert counts[1] == 0 and counts[4] == 0
    assert torch.allclose(freq, probs, atol=0.015), freq


def test_sample_mixes_greedy_and_seeded_rows():
    logits = torch.log(torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25], [0.2, 0.2, 0.6]]))
    greedy = SamplingParams(temperature=0.0)
    hot = SamplingParams(temperature=1.0, seed=3)

    def run():
        gens = [None, torch.Generator().manual_seed(3), None]
        return [sample(logits, [greedy, hot, greedy], gens) for _ in range(200)]

    first, again = run(), run()
    assert first == again  # same seed, same draws
    assert all(row[0] == 1 and row[2] == 2 for row in first)  # greedy rows: the argmax
    picked = [row[1] for row in first]
    assert set(picked) == {0, 1, 2}
    assert math.isclose(picked.count(0) / 200, 0.5, abs_tol=0.1)


def _top_p_reference(row: torch.Tensor, top_p: float) -> torch.Tensor:
    probs, order = torch.sort(torch.softmax(row, -1), descending=True)
    drop = (torch.cumsum(probs, -1) - probs) >= top_p
    return row.index_fill(0, order[drop], float("-inf"))


def test_top_p_keeps_the_same_nucleus_as_a_full_sort():
    from inference.sampling import _top_p

    gen = torch.Generator().manual_seed(5)
    for scale in (0.05, 1.0, 4.0):  # 0.05: nearly flat, the nucleus spans most of the vocab
        for top_p in (0.1, 0.5, 0.9, 0.99):
            row = torch.randn(5000, generator=gen) * scale
            got, want = _top_p(row, top_p), _top_p_reference(row, top_p)
            assert torch.equal(torch.isinf(got), torch.isinf(want)), (scale, top_p)
            assert torch.equal(got[~torch.isinf(got)], row[~torch.isinf(want)])
