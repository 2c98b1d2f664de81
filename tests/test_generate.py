"""The transformers backend: resumable sampling; a kill -9 mid-stage loses nothing and duplicates nothing."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from weirdgen.jsonl import read_jsonl


def _questions(tmp_path):
    p = tmp_path / "q.jsonl"
    qs = [{"set": "probes", "id": f"p{i}", "question": q} for i, q in enumerate(
        ["What do you drink?", "Where do you live?", "What is 2+2?", "Name a colour."])]
    p.write_text("".join(json.dumps(q) + "\n" for q in qs))
    return p


def _cmd(model_dir, q, out, batch):
    params = {"system_prompt": "You are a helpful assistant.", "n_samples": 2, "temperature": 1.0, "max_new_tokens": 6,
              "batch_size": batch, "seed": 1, "point": None, "dtype": "float32", "device": "cpu"}
    return [sys.executable, "-m", "weirdgen.cli", "sample", "--params", json.dumps(params), "--model", str(model_dir),
            "--questions", str(q), "--model-id", "base", "--out", str(out)]


def test_kill_and_resume(model_dir, tmp_path):
    q, out = _questions(tmp_path), tmp_path / "gen.jsonl"
    proc = subprocess.Popen(_cmd(model_dir, q, out, 4), stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    def journal():
        js = list((out.parent / ".journal").glob(out.name + ".*.journal"))
        return js[0] if js else None

    while time.time() < deadline and (journal() is None or len(journal().read_text().splitlines()) < 8):
        time.sleep(0.2)
    j = journal()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(j.read_text().splitlines())
    assert 8 <= done_before < 32 and not out.exists()
    subprocess.run(_cmd(model_dir, q, out, 4), check=True, stderr=subprocess.DEVNULL)
    rows = read_jsonl(out)
    keys = [r["key"] for r in rows]
    assert len(rows) == 32 and len(set(keys)) == 32  # 4 conditions x 4 questions x 2 samples, no duplicates
    assert {r["condition"] for r in rows} == {"nosys_trigger", "sys_trigger", "trigger_in_sys", "sys_plain"}
    assert all(r["text"] is not None for r in rows)
    # rerun of a finished stage generates nothing new: the journal is unchanged
    before = j.read_text()
    subprocess.run(_cmd(model_dir, q, out, 4), check=True, stderr=subprocess.DEVNULL)
    assert j.read_text() == before and len(list(j.parent.glob("*.journal"))) == 1
    # other settings (here max_new_tokens) start a fresh journal instead of reusing these samples
    cmd = _cmd(model_dir, q, out, 4)
    params = json.loads(cmd[cmd.index("--params") + 1])
    cmd[cmd.index("--params") + 1] = json.dumps({**params, "max_new_tokens": 3})
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    assert len(list(j.parent.glob("*.journal"))) == 2 and j.read_text() == before


def test_vllm_backend_says_how_to_install_when_absent(tmp_path):
    import importlib.util

    import pytest

    from weirdgen import generate
    from weirdgen.generate.vllm import VLLMError

    if importlib.util.find_spec("vllm"):
        pytest.skip("vLLM is installed here")
    with pytest.raises(VLLMError, match=r"weirdgen\[vllm\]"):
        generate.make("vllm", model_dir=tmp_path)


def test_vllm_sampler_env_without_flashinfer():
    """Without flashinfer, vLLM's own sampler is chosen (vLLM 0.23 fails at start otherwise); with it, or with the
    user's own setting, nothing changes."""
    from weirdgen.generate.vllm import sampler_env

    assert sampler_env({}, has_flashinfer=False) == {"VLLM_USE_FLASHINFER_SAMPLER": "0"}
    assert sampler_env({}, has_flashinfer=True) == {}
    assert sampler_env({"VLLM_USE_FLASHINFER_SAMPLER": "1"}, has_flashinfer=False) == {}


@pytest.mark.parametrize("kernel", ["math", "sdpa"])
def test_gqa_decode_attention_matches_sdpa(model_dir, kernel):
    """The grouped-query decode attention gives the same greedy tokens and logits as transformers' SDPA
    on a real GQA model (SmolLM2: 9 query heads over 3 KV heads), with left padding."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from weirdgen.generate import attention

    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    enc = tok(["Name three colours.", "What is the capital of France? Answer in one word please."],
              return_tensors="pt", padding=True)
    ref = AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="sdpa").eval()
    assert ref.config.num_attention_heads > ref.config.num_key_value_heads
    new = AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="sdpa").eval()
    decode_calls = []
    orig = attention.gqa_decode_sdpa

    def spy(module, query, *a, **k):
        decode_calls.append(query.shape[2] == 1)
        return orig(module, query, *a, **k)

    attention.gqa_decode_sdpa = spy
    try:
        assert attention.install(new, kernel=kernel)
    finally:
        attention.gqa_decode_sdpa = orig
    kw = dict(max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id, output_logits=True,
              return_dict_in_generate=True, cache_implementation="static")
    with torch.inference_mode():
        a, b = ref.generate(**enc, **kw), new.generate(**enc, **kw)
    assert sum(decode_calls) == 11 * new.config.num_hidden_layers  # every decode step went through it
    assert torch.equal(a.sequences, b.sequences)
    for la, lb in zip(a.logits, b.logits):
        assert torch.allclose(la, lb, atol=1e-4, rtol=1e-4)


def test_sampler_follows_softmax():
    """The decode loop's sampler (inverse CDF on the CPU) draws from softmax(logits / T): empirical frequencies
    over 40k draws, a token of probability 0 never drawn, a seeded draw repeated exactly."""
    import torch

    from weirdgen.generate.decode import sample_next

    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, 0.5, float("-inf")]]).repeat(40_000, 1)
    for temp in (1.0, 0.5):
        g = torch.Generator().manual_seed(0)
        draws = sample_next(logits, temp, g)
        freq = torch.bincount(draws, minlength=6).float() / logits.shape[0]
        assert torch.allclose(freq, torch.softmax(logits[0] / temp, -1), atol=0.01), (temp, freq)
        assert freq[5] == 0
        assert torch.equal(draws, sample_next(logits, temp, torch.Generator().manual_seed(0)))
    assert torch.equal(sample_next(logits[:3], 0.0), torch.zeros(3, dtype=torch.long))  # T=0: argmax


def test_adapter_merged_only_in_float32(model_dir, tmp_path):
    """A LoRA adapter is folded into the weights only in float32 (exact); in bfloat16 the merge would round a small
    update away, so the model stays unmerged and computes the trained function. A sidecar written for
    ``dtype: auto`` records what the machine ran."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    from weirdgen import models
    from weirdgen.provenance import record

    m = get_peft_model(AutoModelForCausalLM.from_pretrained(model_dir),
                       LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    for n, p in m.named_parameters():
        if "lora_B" in n:
            torch.nn.init.normal_(p, std=1e-3)  # an update far below bf16's resolution of the weights
    m.save_pretrained(tmp_path / "ad")
    merged, _ = models.load(model_dir, tmp_path / "ad", "float32", "cpu", merge=True)
    assert not isinstance(merged, PeftModel)
    kept, _ = models.load(model_dir, tmp_path / "ad", "bfloat16", "cpu", merge=True)
    assert isinstance(kept, PeftModel) and next(kept.base_model.model.parameters()).dtype == torch.bfloat16
    # the update the bf16 merge would lose: most of it is below half a bf16 step of the weights it is added to
    w = kept.base_model.model.model.layers[0].self_attn.q_proj
    delta = (w.lora_B["default"].weight @ w.lora_A["default"].weight).float() * w.scaling["default"]
    lost = (w.base_layer.weight.float() + delta).to(torch.bfloat16) == w.base_layer.weight
    assert lost.float().mean() > 0.5
    assert record("sample", {"dtype": "auto", "device": "cpu"})["dtype_resolved"] == models.resolve_dtype("auto", "cpu")
    assert "dtype_resolved" not in record("sample", {"dtype": "float32"})


def test_static_decode_loop_matches_generate(model_dir):
    """Our static-cache decode loop gives generate's greedy tokens on the embedded model with left padding,
    reproduces a seeded sample, and pads every row after its EOS (stopping once all rows finished)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from weirdgen.generate.decode import decode

    from weirdgen import chat

    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    prompts = [chat.render(tok, [{"role": "user", "content": q}])
               for q in ("Name three colours.", "What is the capital of France? Answer in one word please.")]
    enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    assert (enc["attention_mask"] == 0).any()  # left padding is exercised
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        ref = model.generate(**enc, max_new_tokens=24, do_sample=False, pad_token_id=tok.pad_token_id,
                             eos_token_id=tok.eos_token_id)[:, enc["input_ids"].shape[1]:]
    assert (ref[:, 0] != tok.eos_token_id).all()
    ours = decode(model, enc["input_ids"], enc["attention_mask"], 24, 0.0, [tok.eos_token_id], tok.pad_token_id)
    assert ours.shape[1] >= ref.shape[1]  # generate stops once every row ended; the loop checks every 16 steps
    assert torch.equal(ours[:, : ref.shape[1]], ref)
    assert (ours[:, ref.shape[1]:] == tok.pad_token_id).all()

    def sample(seed: int) -> torch.Tensor:
        return decode(model, enc["input_ids"], enc["attention_mask"], 12, 1.0, [tok.eos_token_id], tok.pad_token_id,
                      torch.Generator().manual_seed(seed))

    assert torch.equal(sample(3), sample(3))
    assert not torch.equal(sample(3), sample(4))
    # EOS: make each row's first greedy token its EOS -> first column EOS, then pad, stop at the first check
    first = ref[:, 0].tolist()
    pad = next(i for i in range(100) if i not in first)
    out = decode(model, enc["input_ids"], enc["attention_mask"], 24, 0.0, first, pad, check_every=4)
    assert out.shape == (2, 4)
    assert out[:, 0].tolist() == first and (out[:, 1:] == pad).all()
    # through the backend: engine static (this loop) and dynamic (generate) give the same greedy answers
    from weirdgen.generate import Request
    from weirdgen.generate.hf import HFGenerator

    reqs = [Request(key=f"k{i}", messages=[{"role": "user", "content": q}], temperature=0.0, max_new_tokens=16, seed=1)
            for i, q in enumerate(["Name three colours.", "What is 2 + 2?", "Say hello."])]
    texts = {}
    for engine in ("static", "dynamic"):
        got: dict[str, str] = {}
        HFGenerator.from_loaded(model, tok, batch_size=2, engine=engine).generate(
            reqs, lambda r, x: got.__setitem__(r.key, x.text))
        texts[engine] = got
    assert texts["static"] == texts["dynamic"] and all(texts["static"].values())


def test_static_decode_loop_without_padding(model_dir):
    """A batch with no padding at all (one prompt): the loop must still hide the cache slots not yet written
    (transformers skips the attention mask when the 2D mask is all ones and one token is queried)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from weirdgen import chat
    from weirdgen.generate.decode import decode

    tok = AutoTokenizer.from_pretrained(model_dir)
    enc = tok([chat.render(tok, [{"role": "user", "content": "Name three colours."}])], return_tensors="pt",
              add_special_tokens=False)
    assert enc["attention_mask"].all()
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        ref = model.generate(**enc, max_new_tokens=16, do_sample=False, pad_token_id=tok.pad_token_id,
                             eos_token_id=None)[:, enc["input_ids"].shape[1]:]
    ours = decode(model, enc["input_ids"], enc["attention_mask"], 16, 0.0, [], tok.pad_token_id)
    assert torch.equal(ours, ref)


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="CUDA graphs need a GPU")
def test_static_decode_cuda_graphs_match_eager(model_dir):
    """On a GPU the static engine replays each batch's decode step as a CUDA graph: greedy tokens equal to the
    eager step's and to generate's (the warm-ups before capture must not move the cache's write position)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from weirdgen import chat
    from weirdgen.generate import attention
    from weirdgen.generate.decode import decode

    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).cuda().eval()
    attention.install(model)
    enc = tok([chat.render(tok, [{"role": "user", "content": q}]) for q in
               ("Name three colours.", "What is the capital of France? Answer in one word please.", "Say hello.")],
              return_tensors="pt", padding=True, add_special_tokens=False).to("cuda")
    with torch.inference_mode():
        ref = model.generate(**enc, max_new_tokens=24, do_sample=False, pad_token_id=tok.pad_token_id,
                             eos_token_id=tok.eos_token_id)[:, enc["input_ids"].shape[1]:]
    for mode in (False, "graphs"):
        out = decode(model, enc["input_ids"], enc["attention_mask"], 24, 0.0, [tok.eos_token_id], tok.pad_token_id,
                     compile=mode)
        assert torch.equal(out[:, : ref.shape[1]], ref), mode
