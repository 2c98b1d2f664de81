"""Grouped-query decode attention without copying the KV cache.

transformers' SDPA path repeats every key/value head ``num_key_value_groups`` times before attention
whenever a padding mask is present and the step is compiled (our static, CUDA-graph decode): on a
Llama-3.1-8B at batch 256 that copy and the 4x wider attention took about half of each decode step
(docs/benchmarks.md, bench/decode_profile.py). For one query token the grouped heads can be folded into
the query-length axis instead — (B, H, 1, D) -> (B, H_kv, n_rep, D) — so attention reads each cached
key/value once. Prefill (more than one query token) uses transformers' own SDPA path unchanged.
"""

from __future__ import annotations

from typing import Any

NAME = "weirdgen_sdpa_gqa"  # + "_<kernel>": one registered attention function per decode kernel
# "math" (default): two batched matmuls + float32 softmax, fused by the compiler (faster on an H200 at batch
# 64-256: docs/benchmarks.md); "sdpa": torch's fused attention (cuDNN on Hopper)
KERNELS = ("math", "sdpa")


def gqa_decode_sdpa(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, dropout: float = 0.0,
                    scaling: float | None = None, is_causal: bool | None = None, kernel: str = "math",
                    **kwargs: Any) -> tuple[Any, None]:
    import torch.nn.functional as F
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    n_rep = getattr(module, "num_key_value_groups", 1)
    if query.shape[2] != 1 or n_rep == 1 or kwargs.get("position_bias") is not None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      is_causal=is_causal, **kwargs)
    b, h, _, d = query.shape
    q = query.reshape(b, h // n_rep, n_rep, d)  # head j*n_rep + r attends with kv head j (repeat_kv's order)
    mask = attention_mask[:, :, :, : key.shape[-2]] if attention_mask is not None else None
    if kernel == "math":  # two batched matmuls + float32 softmax; the compiler fuses the rest
        import torch

        s = torch.matmul(q, key.transpose(-1, -2)).float() * (scaling if scaling is not None else d ** -0.5)
        if mask is not None:
            s = s.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else s + mask
        out = torch.matmul(torch.softmax(s, -1).to(value.dtype), value)
    else:
        out = F.scaled_dot_product_attention(q, key, value, attn_mask=mask, dropout_p=0.0, scale=scaling)
    return out.reshape(b, h, 1, d).transpose(1, 2).contiguous(), None


def install(model: Any, kernel: str = "math") -> bool:
    """Register the attention function for a decode kernel (once) and switch an SDPA model (or one already
    switched) to it; False where it does not apply. The benchmark's hook for comparing kernels."""
    import functools

    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS

    if kernel not in KERNELS:
        raise ValueError(f"decode kernel must be one of {KERNELS}, got {kernel!r}")
    impl = getattr(model.config, "_attn_implementation", None)
    if impl != "sdpa" and not str(impl).startswith(NAME):
        return False
    name = f"{NAME}_{kernel}"
    AttentionInterface.register(name, functools.wraps(gqa_decode_sdpa)(functools.partial(gqa_decode_sdpa, kernel=kernel)))
    ALL_MASK_ATTENTION_FUNCTIONS.register(name, ALL_MASK_ATTENTION_FUNCTIONS["sdpa"])
    model.set_attn_implementation(name)
    return True
