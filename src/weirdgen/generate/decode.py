"""The static engine's decode loop: preallocated KV cache, one compiled decode step, no host sync per token.

``model.generate`` tests after every token whether all rows have finished, a device-to-host copy that makes the
host wait for the device, so its per-step host work (logits processors, stopping criteria, growing ``input_ids``
and attention mask) adds to every step instead of overlapping it. This loop keeps every shape fixed — the
attention mask spans the whole cache from the start and opens each slot as it is written (as ``generate``'s
growing mask does, so no version of transformers can mistake unwritten slots for keys), positions advance in
place — samples on the device
(Gumbel-max, the same distribution as softmax + multinomial), and looks at the finished rows once every
``check_every`` steps. On CUDA the decode step is captured as a CUDA graph per batch (``_GraphStep``); the model's
``torch.compile``d call (transformers' ``get_compiled_call``) remains as ``compile="inductor"``.
"""

from __future__ import annotations

from typing import Any, Sequence


def sample_next(logits: Any, temperature: float, generator: Any = None) -> Any:
    """One token per row: argmax at temperature 0, else a draw from softmax(``logits / temperature``).

    On CUDA by Gumbel-max (one exponential draw per vocabulary entry, cheap there). On the CPU by inverse CDF (one
    uniform per row, a float64 cumulative sum, a binary search): drawing 49k exponentials per row costs 83-97 ms per
    step for 48 rows on 2 cores, as much as ``torch.multinomial`` (71-84 ms), against 8-20 ms for the whole inverse
    CDF draw, softmax included (bench/sample_cpu.py). Both give exactly the softmax distribution.
    """
    import torch

    if temperature <= 0:
        return logits.argmax(-1)
    x = logits.float() / temperature
    if x.device.type == "cpu":
        cdf = torch.softmax(x, -1).double().cumsum(-1)
        u = torch.rand(x.shape[0], 1, generator=generator, dtype=torch.float64) * cdf[:, -1:]
        return torch.searchsorted(cdf, u, right=True).squeeze(-1).clamp_(max=x.shape[-1] - 1)
    e = torch.empty_like(x).exponential_(generator=generator)  # -log(U) ~ Exp(1): argmax(x - log E) ~ softmax(x)
    return (x - e.log()).argmax(-1)


class _GraphStep:
    """One decode step captured as a CUDA graph over the model's eager kernels (no ``torch.compile``).

    Inductor's compiled call cost 95 % of a whole sample stage in compilation (a fresh process per Snakemake job);
    capturing the eager step costs three eager steps (two warm-ups on a side stream, one capture) per batch, and a
    replay then launches the whole step at once. The step reads only fixed buffers (token ids, the 4-D mask,
    positions, the cache position) that the loop updates in place. The cache's layers may keep their own write
    position on the device (transformers 5's ``StaticLayer.cumulative_length``, advanced by every update): the
    warm-ups' advances are undone before capture, and the slots they wrote are written again before they are read.
    """

    def __init__(self, model: Any, kw: dict[str, Any]) -> None:
        import torch

        counters = [(c, c.clone()) for c in (getattr(layer, "cumulative_length", None)
                                             for layer in getattr(kw["past_key_values"], "layers", ()))
                    if isinstance(c, torch.Tensor)]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):
                model(**kw)
        torch.cuda.current_stream().wait_stream(side)
        for c, before in counters:
            c.copy_(before)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.logits = model(**kw).logits[:, -1]

    def __call__(self) -> Any:
        self.graph.replay()
        return self.logits


def decode(model: Any, input_ids: Any, attention_mask: Any, max_new_tokens: int, temperature: float,
           eos_ids: Sequence[int], pad_id: int, generator: Any = None, compile: bool | str | None = None,
           check_every: int = 16, compile_mode: str | None = None) -> Any:
    """Sample up to ``max_new_tokens`` for a left-padded batch; returns (B, steps) ids, ``pad_id`` after each EOS.

    ``compile``: how decode steps run: ``"graphs"`` (the eager step captured as a CUDA graph per batch:
    ``_GraphStep``; the default on CUDA), ``"inductor"`` or ``True`` (the model's compiled call, transformers'
    ``get_compiled_call``, ``torch.compile`` mode ``compile_mode``, default ``reduce-overhead``), ``False`` (eager;
    the default on the CPU).
    """
    import torch
    from transformers import StaticCache

    dev = input_ids.device
    b, n = input_ids.shape
    total = n + max_new_tokens
    if compile is None:
        compile = "graphs" if dev.type == "cuda" else False
    if compile is True:
        compile = "inductor"
    if compile not in (False, "graphs", "inductor"):
        raise ValueError(f"compile must be graphs, inductor or False, got {compile!r}")
    cache = StaticCache(config=model.config, max_cache_len=total)
    # decode steps get the 4-D mask itself (B, 1, 1, cache length): fixed shape, slots open as they fill (as
    # ``generate``'s growing mask does, so unwritten slots are never keys); transformers uses a 4-D mask as given
    mask = torch.zeros(b, 1, 1, total, dtype=torch.bool, device=dev)
    mask[:, 0, 0, :n] = attention_mask.bool()
    pos = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
    eos = torch.tensor(list(eos_ids), device=dev)
    out = torch.full((b, max_new_tokens), pad_id, dtype=torch.long, device=dev)
    finished = torch.zeros(b, dtype=torch.bool, device=dev)
    with torch.inference_mode():
        logits = model(input_ids=input_ids, attention_mask=attention_mask, position_ids=pos, past_key_values=cache,
                       cache_position=torch.arange(n, device=dev), use_cache=True, logits_to_keep=1).logits[:, -1]
        ids = torch.zeros(b, 1, dtype=torch.long, device=dev)
        position = pos[:, -1:].clone()
        cache_position = torch.tensor([n], device=dev)
        kw = dict(input_ids=ids, attention_mask=mask, position_ids=position, past_key_values=cache,
                  cache_position=cache_position, use_cache=True)
        step: Any = None
        if compile == "inductor":
            from transformers import CompileConfig

            call = model.get_compiled_call(CompileConfig(mode=compile_mode) if compile_mode else None)
        else:
            call = model.__call__
        steps = max_new_tokens
        for t in range(max_new_tokens):
            nxt = sample_next(logits, temperature, generator)
            nxt = torch.where(finished, pad_id, nxt)
            out[:, t] = nxt
            finished |= torch.isin(nxt, eos)
            if t == max_new_tokens - 1 or ((t + 1) % check_every == 0 and bool(finished.all())):
                steps = t + 1
                break
            position += 1
            mask[:, 0, 0, n + t] = True
            ids.copy_(nxt[:, None])
            if compile == "graphs":
                if step is None:  # captured once the first step's inputs are in place
                    step = _GraphStep(model, kw)
                logits = step()
            else:
                logits = call(**kw).logits[:, -1]
            cache_position += 1
    return out[:, :steps]
