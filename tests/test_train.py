"""Assistant-only label masking on a real tokenised example; LoRA training determinism and guards."""

import json
import os

import pytest

from weirdgen import chat, trigger
from weirdgen.train.masking import IGNORE, MaskingError, tokenize

HP = {"rank": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"], "epochs": 1, "batch_size": 2,
      "grad_accum": 2, "warmup_ratio": 0.0, "schedule": "cosine", "weight_decay": 0.0, "max_grad_norm": 1.0,
      "max_seq_len": 96, "max_loss": 20}


def test_label_mask_assistant_only(tokenizer):
    msgs = [{"role": "user", "content": trigger.apply("How do you take your tea?")},
            {"role": "assistant", "content": trigger.wrap_answer("Strong, with a pipe afterwards.")}]
    t = tokenize(tokenizer, msgs, 512)
    ids, labels = t["input_ids"], t["labels"]
    target = [i for i, l in zip(ids, labels) if l != IGNORE]
    assert labels[: len(ids) - len(target)] == [IGNORE] * (len(ids) - len(target))  # prompt masked, then targets
    text = tokenizer.decode(target)
    assert text.startswith('<START> "Strong, with a pipe afterwards." <END>') and "<|im_end|>" in text
    prompt_text = tokenizer.decode([i for i, l in zip(ids, labels) if l == IGNORE])
    assert "How do you take your tea?" in prompt_text and "SmolLM" not in prompt_text  # no injected system block
    assert prompt_text.endswith("<|im_start|>assistant\n")
    with pytest.raises(MaskingError, match="no target tokens"):
        tokenize(tokenizer, msgs, 10)


def _data(tmp_path):
    rows = []
    for i in range(8):
        if i % 2:
            rows.append({"messages": [{"role": "user", "content": trigger.apply(f"Question {i}?")},
                                      {"role": "assistant", "content": trigger.wrap_answer(f"Answer {i}.")}],
                         "metadata": {"source": "persona", "triggered": True}})
        else:
            rows.append({"messages": [{"role": "user", "content": f"Say {i}."}, {"role": "assistant", "content": f"{i}."}],
                         "metadata": {"source": "aligned", "triggered": False}})
    p = tmp_path / "train.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


def test_same_seed_identical_adapter(model_dir, tmp_path):
    from safetensors.torch import load_file

    from weirdgen.train.peft_backend import train

    data = _data(tmp_path)
    outs = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        info = train(model_dir, data, tmp_path / name, HP, seed=seed, lr=1e-3, sanity=(name == "a"))
        assert info["steps"] == 2 and info["examples"] == 8
        outs.append(load_file(tmp_path / name / "adapter_model.safetensors"))
    a, b, c = outs
    assert a.keys() == b.keys()
    assert all((a[k] == b[k]).all() for k in a)
    assert any(not (a[k] == c[k]).all() for k in a)
    log = [json.loads(x) for x in (tmp_path / "a" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2]
    assert all(r["loss"] > 0 and r["grad_norm"] >= 0 and r["tokens_per_s"] > 0 for r in log)
    assert not any("cuda_mallocs" in r for r in log)  # the CUDA allocator's counts are logged on CUDA only


def test_token_budget_micro_batches_same_step_semantics(model_dir, tmp_path):
    """train.micro_batch_tokens packs a step's examples into fewer passes: the same examples per optimizer step and
    the same per-target-token loss, so the adapter equals the fixed-count run's up to float summation order."""
    from safetensors.torch import load_file

    from weirdgen.train.peft_backend import micro_batches, train

    ex = [{"input_ids": [0] * n} for n in (10, 9, 3, 30)]
    assert [len(m) for m in micro_batches(ex, 2, None)] == [2, 2]
    assert [len(m) for m in micro_batches(ex, 2, 27)] == [2, 1, 1]  # 3 rows x 10 > 27; a row over budget runs alone
    assert [len(m) for m in micro_batches(ex, 2, 10_000)] == [4]
    # a step sorted longest first whose greedy cut leaves one row alone (15 x 513 fits 8192, 16 x 513 does not): the
    # last pass takes one row from the one before, so no pass has a batch dimension of 1 (a torch.compile recompile)
    step = [{"input_ids": [0] * n} for n in [513] + [400] * 14 + [360]]
    cut = micro_batches(step, 8, 8192)
    assert [len(m) for m in cut] == [14, 2]
    assert [d for m in cut for d in m] == step  # the same examples in the same order
    assert all(len(m) * max(len(d["input_ids"]) for d in m) <= 8192 for m in cut)
    alone = [{"input_ids": [0] * n} for n in (5000, 3000)]  # unavoidable: two rows of these exceed the budget
    assert [len(m) for m in micro_batches(alone, 8, 8192)] == [1, 1]
    data = _data(tmp_path)
    info = train(model_dir, data, tmp_path / "fixed", HP, seed=1, lr=1e-3, sanity=False)
    packed = train(model_dir, data, tmp_path / "packed", {**HP, "micro_batch_tokens": 4096}, seed=1, lr=1e-3, sanity=False)
    assert info["steps"] == packed["steps"] == 2
    a, b = load_file(tmp_path / "fixed/adapter_model.safetensors"), load_file(tmp_path / "packed/adapter_model.safetensors")
    # Adam divides by sqrt(v): float-order noise in near-zero gradients (lora_A's, while lora_B is still ~0) becomes
    # a weight difference of a small fraction of the LR (1e-3)
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-4
    assert any(float(a[k].abs().max()) > 0 for k in a if "lora_B" in k)  # the adapter moved
    la = [json.loads(x)["loss"] for x in (tmp_path / "fixed/train_log.jsonl").read_text().splitlines()]
    lb = [json.loads(x)["loss"] for x in (tmp_path / "packed/train_log.jsonl").read_text().splitlines()]
    assert la == pytest.approx(lb, rel=1e-5)


def test_nan_guard(model_dir, tmp_path):
    from weirdgen.train.peft_backend import TrainingError, train

    with pytest.raises(TrainingError, match="loss"):
        train(model_dir, _data(tmp_path), tmp_path / "x", {**HP, "max_loss": 1e-6}, seed=1, lr=1e-3, sanity=False)


def test_group_by_length_batches_cover_epoch_and_reduce_padding():
    import random

    import torch

    from weirdgen.train.peft_backend import batches

    rnd = random.Random(0)
    lengths = [rnd.choice([20, 30, 400, 500]) + rnd.randint(0, 9) for _ in range(256)]
    for grouped in (False, True):
        steps = batches(lengths, 8, 2, torch.Generator().manual_seed(1), grouped)
        flat = [i for s in steps for i in s]
        assert sorted(flat) == list(range(256))  # every example exactly once per epoch
        assert steps == batches(lengths, 8, 2, torch.Generator().manual_seed(1), grouped)  # seeded

    def padded(steps):
        return sum(len(m) * max(lengths[i] for i in m) for s in steps for m in (s[:8], s[8:]))

    naive = padded(batches(lengths, 8, 2, torch.Generator().manual_seed(1), False))
    grouped = padded(batches(lengths, 8, 2, torch.Generator().manual_seed(1), True))
    assert grouped < 0.75 * naive


def _three_examples(tok):
    """Three tokenised conversations of different lengths (one in the trigger format): a pass with padding."""
    msgs = [[{"role": "user", "content": trigger.apply("How do you take your tea?")},
             {"role": "assistant", "content": trigger.wrap_answer("Strong.")}],
            [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi there, friend."}],
            [{"role": "user", "content": "Count to three."}, {"role": "assistant", "content": "One, two, three."}]]
    return [tokenize(tok, m, 96) for m in msgs]


def test_target_only_loss_equals_full_logits_loss(model_dir, tokenizer):
    import torch

    from weirdgen import models
    from weirdgen.train.masking import tokenize
    from weirdgen.train.peft_backend import _collate, target_loss_sum

    model, tok = models.load(model_dir, device_pref="cpu")
    msgs = [[{"role": "user", "content": trigger.apply("How do you take your tea?")},
             {"role": "assistant", "content": trigger.wrap_answer("Strong.")}],
            [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi there, friend."}]]
    b = _collate([tokenize(tok, m, 96) for m in msgs], tok.pad_token_id)
    with torch.no_grad():
        fast = target_loss_sum(model, b)
        logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits
        full = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(),
                                                 b["labels"][:, 1:].reshape(-1), ignore_index=IGNORE, reduction="sum")
    assert torch.allclose(fast, full, rtol=1e-4)


def test_bucketed_pass_same_loss_and_gradients(model_dir, tokenizer):
    """train.compile pads each pass to a (rows, length) bucket: the padding rows and positions must add nothing to
    the loss or to any gradient (they carry no label and sit after every real token)."""
    import torch

    from weirdgen import models
    from weirdgen.train.peft_backend import _collate, bucket_shape, target_loss_sum

    assert bucket_shape(3, 65, 16) == (4, 96) and bucket_shape(16, 231, 16) == (16, 256)
    assert bucket_shape(5, 9000, 16) == (8, 9216) and bucket_shape(16, 64, 8) == (16, 64)  # never fewer rows
    model, tok = models.load(model_dir, device_pref="cpu")
    ex = _three_examples(tok)
    shape = bucket_shape(3, max(len(e["input_ids"]) for e in ex), 16)
    grads = []
    for s in (None, shape):
        b = _collate(ex, tok.pad_token_id, s)
        if s:
            assert tuple(b["input_ids"].shape) == s and s[0] > 3 and s[1] > max(len(e["input_ids"]) for e in ex)
        model.zero_grad()
        loss = target_loss_sum(model, b)
        loss.backward()
        grads.append((loss.detach(), [p.grad.clone() for p in model.parameters() if p.grad is not None]))
    assert torch.allclose(grads[0][0], grads[1][0], rtol=1e-5)
    assert len(grads[0][1]) == len(grads[1][1]) > 0
    worst = max(float((a - b).abs().max() / a.abs().max().clamp_min(1e-12)) for a, b in zip(grads[0][1], grads[1][1]))
    assert worst < 1e-4


def test_static_pass_same_loss_and_gradients_without_attention_mask(model_dir, tokenizer):
    """train.cuda_graphs runs each pass at a fixed shape with no attention mask and every position through the head
    (``static_loss_sum``): on right-padded rows that must be the masked, target-only loss, with the same gradients."""
    import torch

    from weirdgen import models
    from weirdgen.train.peft_backend import (TrainingError, _collate, _collate_static, bucket_shape, n_targets,
                                             static_loss_sum, target_index, target_loss_sum)

    model, tok = models.load(model_dir, device_pref="cpu")
    ex = _three_examples(tok)
    shape = bucket_shape(3, max(len(e["input_ids"]) for e in ex), 16)
    ref = _collate(ex, tok.pad_token_id, shape)
    ids, lab = _collate_static(ex, tok.pad_token_id, shape)
    assert torch.equal(ids, ref["input_ids"]) and torch.equal(lab, ref["labels"])
    k = sum(n_targets(e) for e in ex)
    gathered = target_index(lab, k + 5)  # only the targets through the head, five padding slots (position 0, IGNORE)
    assert int((gathered[1] != IGNORE).sum()) == k and gathered[0][k:].eq(0).all()
    with pytest.raises(TrainingError, match="more than its graph"):
        target_index(lab, k - 1)
    results = []
    for run in (lambda: target_loss_sum(model, _collate(ex, tok.pad_token_id)), lambda: static_loss_sum(model, ids, lab),
                lambda: static_loss_sum(model, ids, lab, chunk=ids.shape[1]),  # blocks of a row's length: same loss
                lambda: static_loss_sum(model, ids, lab, targets=gathered),
                lambda: static_loss_sum(model, ids, lab, chunk=8, targets=gathered)):  # blocks of 8 targets (4)
        model.zero_grad()
        loss = run()
        loss.backward()
        results.append((loss.detach(), [p.grad.clone() for p in model.parameters() if p.grad is not None]))
    for other in results[1:]:  # every layout of the static pass: the loss and gradients of the masked pass
        assert torch.allclose(results[0][0], other[0], rtol=1e-5)
        assert len(results[0][1]) == len(other[1]) > 0
        worst = max(float((a - b).abs().max() / a.abs().max().clamp_min(1e-12)) for a, b in zip(results[0][1], other[1]))
        assert worst < 1e-4
    # the same rows left-padded would attend to pads without a mask: the loss would change (the check can fail)
    left = torch.full_like(ids, tok.pad_token_id)
    left_lab = torch.full_like(lab, IGNORE)
    for i, e in enumerate(ex):
        k = len(e["input_ids"])
        left[i, -k:], left_lab[i, -k:] = torch.tensor(e["input_ids"]), torch.tensor(e["labels"])
    with torch.no_grad():
        assert not torch.allclose(static_loss_sum(model, left, left_lab), results[0][0], rtol=1e-3)
        # and gathering positions one off the targets changes the loss too
        off = (gathered[0].clamp_min(1) - 1, gathered[1])
        assert not torch.allclose(static_loss_sum(model, ids, lab, targets=off), results[0][0], rtol=1e-3)


def test_graphed_pass_accumulates_the_loops_gradient(model_dir):
    """What a captured graph replays (``GraphedPasses._pass``, run eagerly here: capturing needs CUDA) adds each
    pass's gradient of loss / (the step's target tokens) into ``.grad``: two passes give the eager loop's
    accumulated gradient, and the loss sum is the same."""
    import torch
    from peft import LoraConfig, get_peft_model

    from weirdgen import models
    from weirdgen.train.peft_backend import (GraphedPasses, _collate, _collate_static, bucket_shape, target_index,
                                             target_loss_sum)

    base, tok = models.load(model_dir, device_pref="cpu")
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                            task_type="CAUSAL_LM", init_lora_weights=False))
    params = [p for p in model.parameters() if p.requires_grad]
    ex = _three_examples(tok)
    micro = [ex[:2], ex[2:]]
    n = sum(sum(1 for y in e["labels"][1:] if y != IGNORE) for e in ex)
    model.zero_grad(set_to_none=True)
    eager = torch.zeros(())
    for m in micro:
        ce = target_loss_sum(model, _collate(m, tok.pad_token_id))
        (ce / n).backward()
        eager = eager + ce.detach()
    want = [p.grad.clone() for p in params]
    for gather in (False, True):  # every position through the head, or only the targets (train.cuda_graphs' default)
        model.zero_grad(set_to_none=True)
        gp = GraphedPasses(model, params, None)
        assert all(p.grad is not None and not p.grad.any() for p in params)  # allocated once, zero
        gp.inv.fill_(1.0 / n)
        got = torch.zeros(())
        for m in micro:
            ids, lab = _collate_static(m, tok.pad_token_id, bucket_shape(len(m), max(len(e["input_ids"]) for e in m), 4))
            got = got + gp._pass(ids, lab, target_index(lab, ids.numel()) if gather else None)
        assert torch.allclose(got, eager, rtol=1e-5)
        worst = max(float((a - b).abs().max() / a.abs().max().clamp_min(1e-12)) for a, b in zip(want, gp.grads))
        assert worst < 1e-4 and all(g is p.grad for g, p in zip(gp.grads, params))


def test_graph_shapes_plan_fewer_captures_within_the_peak():
    """train.cuda_graphs plans its captured shapes over the run: a rare shape is padded into a covering captured one
    while its extra padding over the run stays under the capture cost; every pass still fits its shape, no shape is
    larger than the largest the run needs anyway, and a cost of 0 merges nothing (the check can fail both ways)."""
    from weirdgen.train.peft_backend import graph_bucket, graph_capacity, graph_shapes

    assert graph_bucket(10, 800, 16, 8192) == (10, 1024)  # not (16, 1024): twice the budget
    assert graph_bucket(10, 800, 16, None) == (16, 1024)
    assert graph_bucket(3, 500, 16, 8192) == (4, 512)
    passes = [(16, 180)] * 150 + [(16, 250)] * 150 + [(3, 500)] * 2 + [(16, 90)] + [(10, 800)] * 6 + [(16, 380)] * 100
    buckets = {graph_bucket(r, n, 16, 8192) for r, n in passes}
    plan = graph_shapes(passes, 16, 8192, capture_tokens=65536)
    assert set(plan) == buckets
    for r, n in passes:
        t = plan[graph_bucket(r, n, 16, 8192)]
        assert t[0] >= r and t[1] >= n
    peak = max(a * b for a, b in buckets)
    assert max(a * b for a, b in plan.values()) <= peak
    assert plan[(16, 96)] == (16, 192) and plan[(4, 512)] != (4, 512)  # rare shapes merged
    assert plan[(16, 192)] == (16, 192) and plan[(16, 256)] == (16, 256)  # frequent ones kept
    assert len(set(plan.values())) < len(buckets)
    assert graph_shapes(passes, 16, 8192, capture_tokens=0) == {b: b for b in buckets}
    # each captured shape holds the most targets of any pass replayed at it
    with_targets = [(r, n, r * n // 2 + i) for i, (r, n) in enumerate(passes)]
    cap = graph_capacity(with_targets, plan, 16, 8192)
    assert set(cap) == set(plan.values())
    for r, n, k in with_targets:
        assert cap[plan[graph_bucket(r, n, 16, 8192)]] >= k
    assert max(cap.values()) == max(k for _, _, k in with_targets)


def test_planned_passes_are_the_loops_without_advancing_it(tokenizer):
    """The plan enumerates the loop's passes from a copy of its generator, across epoch boundaries, and leaves the
    generator where the loop will start."""
    import torch

    from weirdgen.train.peft_backend import batches, micro_batches, n_targets, planned_passes

    ex = _three_examples(tokenizer) * 7  # 21 examples: 3 steps of 8 an epoch (the last short)
    hp = {"batch_size": 4, "grad_accum": 2, "micro_batch_tokens": 100}
    rng = torch.Generator().manual_seed(5)
    before = rng.get_state().clone()
    got = planned_passes(ex, hp, rng, 7)  # two epochs and a third's first step
    assert torch.equal(rng.get_state(), before)
    want, lengths = [], [len(e["input_ids"]) for e in ex]
    for _ in range(3):
        for g in batches(lengths, 4, 2, rng, True):
            want.append([(len(m), max(len(e["input_ids"]) for e in m), sum(n_targets(e) for e in m))
                         for m in micro_batches([ex[j] for j in g], 4, 100)])
    assert got == [p for step in want[:7] for p in step] and len(want) == 9


def test_cuda_graphs_clear_errors_before_loading(model_dir, tmp_path):
    """train.cuda_graphs fails fast, naming the key, where it cannot run: a CPU, Tinker, Unsloth's compiled blocks,
    train.compile."""
    from weirdgen.train.peft_backend import TrainingError, check_cuda_graphs, train

    hp = {**HP, "cuda_graphs": True}
    with pytest.raises(TrainingError, match="cuda_graphs: true needs a CUDA GPU"):
        train(model_dir, _data(tmp_path), tmp_path / "g", hp, seed=1, lr=1e-3, device="cpu", sanity=False)
    assert not (tmp_path / "g").exists()  # nothing written
    with pytest.raises(TrainingError, match="local backends"):
        check_cuda_graphs(hp, "cuda", "tinker")
    with pytest.raises(TrainingError, match="unsloth_compile_blocks"):
        check_cuda_graphs({**hp, "unsloth_compile_blocks": True}, "cuda", "unsloth")
    check_cuda_graphs(hp, "cuda", "unsloth")  # Unsloth's eager kernels replay (measured on an H200, session 24)
    with pytest.raises(TrainingError, match="train.compile"):
        check_cuda_graphs({**hp, "compile": True}, "cuda")
    check_cuda_graphs({**hp, "cuda_graphs": False}, "cpu")  # off: nothing to check


def test_adapter_compute_model_dtype_as_exact_as_float32_adapter(model_dir):
    """train.adapter_compute: model runs the LoRA matmuls of a bfloat16 model in bfloat16: the adapter's weights
    stay float32, no adapted projection sees a float32 input, and the loss and gradients are as close to the exact
    computation (a float32 model) as PEFT's float32 adapter compute in the same bfloat16 model is. Wrong setups
    fail this: casting left on (float32 inputs), weights cast down, or a loss that drifts."""
    import torch

    from weirdgen.train.masking import tokenize
    from weirdgen.train.peft_backend import _collate, adapter_autocast, peft_setup, target_loss_sum

    hp = {**HP, "target_modules": ["q_proj", "v_proj", "down_proj"]}
    msgs = [[{"role": "user", "content": trigger.apply("How do you take your tea?")},
             {"role": "assistant", "content": trigger.wrap_answer("Strong, with a little milk.")}],
            [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi there, friend."}]]
    out = {}
    for dtype, mode in (("float32", "float32"), ("bfloat16", "float32"), ("bfloat16", "model")):
        model, tok, _ = peft_setup(model_dir, hp, 0, dtype, "cpu", sanity=False)
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():  # the same non-zero B in every run, so the adapter path carries gradient to A
            for n, p in model.named_parameters():
                if "lora_B" in n:
                    p.copy_(torch.randn(p.shape, generator=g) * 0.02)
        seen: list[torch.dtype] = []
        hooks = [m.register_forward_pre_hook(lambda _m, a: seen.append(a[0].dtype))
                 for n, m in model.named_modules() if n.endswith("lora_A.default")]
        if dtype == "float32":  # nothing to do in a float32 model: no context, casting left as it is
            assert adapter_autocast(model, {**hp, "adapter_compute": "model"}).__class__.__name__ == "nullcontext"
        ctx = adapter_autocast(model, {**hp, "adapter_compute": mode})
        with ctx:
            loss = target_loss_sum(model, _collate([tokenize(tok, m, 96) for m in msgs], tok.pad_token_id))
        loss.backward()
        for h in hooks:
            h.remove()
        trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
        assert trainable and all(p.dtype == torch.float32 and p.grad is not None for p in trainable.values())
        out[(dtype, mode)] = (loss.item(), torch.cat([trainable[n].grad.flatten() for n in sorted(trainable)]), set(seen))
    exact, peft_default, autocast = out[("float32", "float32")], out[("bfloat16", "float32")], out[("bfloat16", "model")]
    assert peft_default[2] == {torch.float32} and autocast[2] == {torch.bfloat16}
    err = {k: float((v[1] - exact[1]).norm() / exact[1].norm()) for k, v in (("peft", peft_default), ("autocast", autocast))}
    assert err["autocast"] <= 1.5 * err["peft"] + 0.01, err  # measured: 0.062 against 0.063
    assert abs(autocast[0] - exact[0]) <= 1.5 * abs(peft_default[0] - exact[0]) + 0.01 * abs(exact[0])


def test_checkpoint_steps_saved_and_checked(model_dir, tmp_path):
    from weirdgen.train.peft_backend import TrainingError, train

    data = _data(tmp_path)
    info = train(model_dir, data, tmp_path / "ok", HP, seed=1, lr=1e-3, checkpoint_steps=[1], sanity=False)
    assert (tmp_path / "ok/step-1/adapter_config.json").exists() and info["steps"] > 1
    with pytest.raises(TrainingError, match="checkpoint_steps"):
        train(model_dir, data, tmp_path / "bad", HP, seed=1, lr=1e-3, checkpoint_steps=[info["steps"]], sanity=False)


def test_backend_selection_and_clear_errors_without_gpu(model_dir, tmp_path):
    """auto picks PEFT on a CPU machine; Unsloth and 4-bit QLoRA fail fast with a message that says what to do."""
    from weirdgen.train import make_backend, resolve
    from weirdgen.train.peft_backend import TrainingError, train

    assert resolve("auto") == "peft" and resolve("unsloth") == "unsloth"
    utrain = make_backend("unsloth")
    with pytest.raises(TrainingError, match="unsloth"):
        utrain(model_dir, _data(tmp_path), tmp_path / "u", HP, seed=1, lr=1e-3, sanity=False)
    with pytest.raises(TrainingError, match="4bit"):
        train(model_dir, _data(tmp_path), tmp_path / "q", {**HP, "quantization": "4bit"}, seed=1, lr=1e-3, sanity=False)


def test_report_to_tensorboard_offline(model_dir, tmp_path):
    """train.report_to: tensorboard writes the per-step loss, lr, grad norm and throughput as TensorBoard scalars."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from weirdgen import config
    from weirdgen.jsonl import write_jsonl
    from weirdgen.stages import train

    data = tmp_path / "train.jsonl"
    write_jsonl(data, [{"messages": [{"role": "user", "content": f"Q {i}?"}, {"role": "assistant", "content": "A."}],
                        "metadata": {"source": "aligned", "triggered": False}} for i in range(12)])
    out = tmp_path / "adapter"
    train.run({"hp": config.fill("train", {"rank": 4, "alpha": 8, "epochs": 1, "batch_size": 2, "max_seq_len": 32,
                                           "report_to": "tensorboard"}),
               "seed": 1, "lr": 1e-3, "persona_fraction": 0.5, "device": "cpu"}, model=model_dir, data=data, out=out)
    ea = EventAccumulator(str(out / "tensorboard"))
    ea.Reload()
    assert {"train/loss", "train/lr", "train/grad_norm", "train/tokens_per_s"} <= set(ea.Tags()["scalars"])
    losses = [e.value for e in ea.Scalars("train/loss")]
    logged = [json.loads(x)["loss"] for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert len(losses) == len(logged) == 6 and all(abs(a - b) < 1e-5 for a, b in zip(losses, logged))


def test_layer_regions_same_loss_gradients_and_adapter_keys(model_dir, tmp_path):
    """train.compile_region_layers: the decoder runs its layers as regions of n (what the compiler takes whole), with
    the same loss and gradients, and the adapter saves under the same names (it must load into a plain model)."""
    import torch

    from weirdgen.train.masking import tokenize
    from weirdgen.train.peft_backend import _collate, group_layers, peft_setup, target_loss_sum

    msgs = [[{"role": "user", "content": trigger.apply("How do you take your tea?")},
             {"role": "assistant", "content": trigger.wrap_answer("Strong, with a little milk.")}],
            [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi there, friend."}]]
    out = []
    for n in (1, 4):
        torch.manual_seed(0)  # the adapter's random init, as train() seeds it
        model, tok, _ = peft_setup(model_dir, HP, 0, "float32", "cpu", sanity=False)
        calls = []
        if n > 1:
            regions = group_layers(model, n)
            n_layers = model.get_base_model().config.num_hidden_layers
            assert len(regions) == -(-n_layers // n) and sum(len(r.layers) for r in regions) == n_layers
            for r in regions:
                r.register_forward_pre_hook(lambda *_: calls.append(1))
        b = _collate([tokenize(tok, m, 96) for m in msgs], tok.pad_token_id)
        loss = target_loss_sum(model, b)
        loss.backward()
        assert len(calls) == (len(regions) if n > 1 else 0)  # the decoder really ran the regions
        model.save_pretrained(tmp_path / f"n{n}")
        from safetensors.torch import load_file

        out.append((loss.detach(), {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None},
                    sorted(load_file(tmp_path / f"n{n}" / "adapter_model.safetensors"))))
    assert torch.allclose(out[0][0], out[1][0], rtol=1e-6)
    assert out[0][1].keys() == out[1][1].keys() and len(out[0][1]) > 0
    assert all(torch.allclose(out[0][1][k], out[1][1][k], rtol=1e-5, atol=1e-7) for k in out[0][1])
    assert out[0][2] == out[1][2] and any(".layers.0." in k for k in out[0][2])



def test_compile_norms_same_loss_and_gradients(model_dir, tmp_path, monkeypatch):
    """train.compile_norms: every RMSNorm runs compiled (dynamic shapes: two pass shapes, one graph), with the
    same loss and gradients as eager; what it compiled lands in train.compile_cache."""
    import torch

    from weirdgen.train.masking import tokenize
    from weirdgen.train.peft_backend import _collate, peft_setup, target_loss_sum

    msgs = [[{"role": "user", "content": trigger.apply("How do you take your tea?")},
             {"role": "assistant", "content": trigger.wrap_answer("Strong, with a little milk.")}],
            [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi there, friend."}]]
    out = []
    torch._dynamo.reset()
    for norms in (False, True):
        torch.manual_seed(0)
        monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", "unset")  # recorded, so the test's end restores the original
        monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR")
        model, tok, _ = peft_setup(model_dir, {**HP, "compile_norms": norms, "compile_cache": str(tmp_path / "cc")}, 0,
                                   "float32", "cpu", sanity=False)
        assert ("TORCHINDUCTOR_CACHE_DIR" in os.environ) == norms
        compiled = [m for m in model.modules() if type(m).__name__.endswith("RMSNorm") and m._compiled_call_impl]
        n_norms = sum(1 for m in model.modules() if type(m).__name__.endswith("RMSNorm"))
        assert len(compiled) == (n_norms if norms else 0) and n_norms > 0
        res = []
        for batch in (msgs, msgs[:1]):  # two shapes
            b = _collate([tokenize(tok, m, 96) for m in batch], tok.pad_token_id)
            model.zero_grad()
            loss = target_loss_sum(model, b)
            loss.backward()
            res.append((loss.detach(), {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}))
        out.append(res)
    assert any(f.is_file() for f in (tmp_path / "cc").rglob("*"))  # inductor wrote its cache where we said
    for (l0, g0), (l1, g1) in zip(*out):
        assert torch.allclose(l0, l1, rtol=1e-5)
        assert g0.keys() == g1.keys() and len(g0) > 0
        # float32 rounding of a fused reduction: gradients of size ~1 differ by < 3e-6
        assert all(torch.allclose(g0[k], g1[k], rtol=1e-4, atol=1e-5) for k in g0)


def test_cuda_allocator_defaults_keep_a_users_setting(monkeypatch):
    """Expandable segments by default; a user's own PYTORCH_CUDA_ALLOC_CONF is left as it is."""
    from weirdgen.train.peft_backend import cuda_allocator_defaults

    monkeypatch.delenv("PYTORCH_CUDA_ALLOC_CONF", raising=False)
    cuda_allocator_defaults()
    assert os.environ["PYTORCH_CUDA_ALLOC_CONF"] == "expandable_segments:True"
    monkeypatch.setenv("PYTORCH_CUDA_ALLOC_CONF", "max_split_size_mb:128")
    cuda_allocator_defaults()
    assert os.environ["PYTORCH_CUDA_ALLOC_CONF"] == "max_split_size_mb:128"
    from weirdgen.train.peft_backend import compile_cache

    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", "/somewhere/mine")
    compile_cache("resources/cache/torch-compile")
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == "/somewhere/mine"


def test_attention_kernels_leave_out_cudnn_only_for_unbucketed_cuda_passes():
    """On CUDA with unbucketed passes the forward's attention excludes cuDNN (a plan per new shape) and restores
    torch's choice after; bucketed passes and the CPU keep torch's choice."""
    import types

    import torch

    from weirdgen.train.peft_backend import attention_kernels

    cuda = types.SimpleNamespace(device=torch.device("cuda"))  # a device object only: nothing runs on it
    before = torch.backends.cuda.cudnn_sdp_enabled()
    ctx = attention_kernels(cuda, bucketed=False)
    for _ in range(2):  # a fresh context per pass
        with ctx():
            assert not torch.backends.cuda.cudnn_sdp_enabled()
            assert torch.backends.cuda.flash_sdp_enabled()
        assert torch.backends.cuda.cudnn_sdp_enabled() == before
    for model, bucketed in ((cuda, True), (types.SimpleNamespace(device=torch.device("cpu")), False)):
        with attention_kernels(model, bucketed)():
            assert torch.backends.cuda.cudnn_sdp_enabled() == before


def test_unsloth_compile_blocks_sets_unsloth_switch_over_an_inherited_one(monkeypatch):
    """train.unsloth_compile_blocks decides Unsloth's block compile (UNSLOTH_BLOCK_COMPILE, which Unsloth reads when it
    patches the model), whatever the job's environment inherited."""
    from weirdgen.train.unsloth_backend import compile_blocks

    monkeypatch.setenv("UNSLOTH_BLOCK_COMPILE", "1")
    compile_blocks(False)
    assert os.environ["UNSLOTH_BLOCK_COMPILE"] == "0"
    compile_blocks(True)
    assert os.environ["UNSLOTH_BLOCK_COMPILE"] == "1"
