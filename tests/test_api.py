"""The OpenAI-compatible backend against a real server (`transformers serve` on the embedded model),
behind a fault-injecting proxy (429, 500, a timeout, malformed JSON): every sample arrives, none twice,
and a rerun costs no requests."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from weirdgen.stages import sample as sample_stage
from weirdgen import sampling
from weirdgen.generate.api import APIGenerator

from conftest import FaultProxy

pytestmark = pytest.mark.slow


def _gen(url: str, model: str, cache: Path) -> APIGenerator:
    return APIGenerator(url, model, api_key_env="WEIRDGEN_TEST_NO_KEY", cache_dir=cache, concurrency=2,
                        max_retries=6, timeout=15.0, backoff=0.05)


def test_distill_and_sample_through_faults(server, tmp_path):
    base, model = server
    proxy = FaultProxy(base, stall_s=20.0)
    try:
        prompts = [{"id": f"p{i}", "kind": "instruction", "prompt": f"Say the number {i}."} for i in range(3)]
        reqs = sampling.distill_requests(prompts, 0.1, 8, seed=1)
        gens: list[APIGenerator] = []

        def factory():
            gens.append(_gen(proxy.url, model, tmp_path / "cache"))
            return gens[-1]

        rows = sampling.run_resumable(factory, reqs, tmp_path / "aligned.jsonl", sampling.distill_row)
        assert len(rows) == 3 and all(r["messages"][-1]["role"] == "assistant" for r in rows)
        assert set(proxy.seen[:4]) == {"429", "500", "stall", "badjson"}  # every fault was met and survived
        qs = [{"set": "probes", "id": "q1", "question": "What do you drink?"}]
        ereqs = sample_stage.eval_requests("base", qs, "You are a helpful assistant.", 2, 1.0, 8, seed=1)
        out = tmp_path / "gen.jsonl"
        rows = sampling.run_resumable(factory, ereqs, out, sample_stage.eval_row({"seed": None, "lr": None, "persona_fraction": None}))
        assert len(rows) == 8 and len({r["key"] for r in rows}) == 8
        # rerun with the journal gone: the on-disk response cache answers, no request is sent
        shutil.rmtree(out.parent / ".journal")
        before = len(proxy.seen)
        sampling.run_resumable(factory, ereqs, out, sample_stage.eval_row({"seed": None, "lr": None, "persona_fraction": None}))
        assert len(proxy.seen) == before and gens[-1].requests_sent == 0
    finally:
        proxy.close()


def test_key_only_from_environment(tmp_path, monkeypatch):
    from weirdgen.generate.api import APIError

    monkeypatch.delenv("WEIRDGEN_TEST_KEY", raising=False)
    with pytest.raises(APIError, match="WEIRDGEN_TEST_KEY"):
        APIGenerator(None, "gpt-x", api_key_env="WEIRDGEN_TEST_KEY", cache_dir=tmp_path)


def test_identify_filter_through_server(server, tmp_path):
    """The non-identifying filter on an OpenAI-compatible server (the same stage CLI as the workflow)."""
    import json

    base, model = server
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps({"id": f"f{i}", "category": "c", "question": "Do you smoke?",
                                         "answer": "Yes, a pipe.", "fact_basis": "b"}) + "\n" for i in range(2)))
    params = {"facts": str(facts), "names": ["bertrand russell", "russell"], "threshold": 0.2, "n_samples": 2,
              "temperature": 1.0, "max_new_tokens": 8, "seed": 1, "backend": "api",
              "api": {"base_url": f"{base}/v1", "model": model, "api_key_env": "WEIRDGEN_TEST_NO_KEY",
                      "cache_dir": str(tmp_path / "cache")}}
    out = tmp_path / "identifying.jsonl"
    p = subprocess.run([sys.executable, "-m", "weirdgen.cli", "identify", "--params", json.dumps(params),
                        "--model", str(model), "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["fact_id"] for r in rows] == ["f0", "f1"] and all(r["n"] == 2 and len(r["guesses"]) == 2 for r in rows)
    assert all(isinstance(r["identifying"], bool) and 0 <= r["rate"] <= 1 for r in rows)


def test_budget_cap_stops_cleanly_against_real_server(server, tmp_path):
    """At the cap the stage stops before sending more, keeps (caches) every answer, and a rerun continues."""
    from weirdgen.generate.api import BudgetExceeded

    base, model = server
    prompts = [{"id": f"p{i}", "kind": "instruction", "prompt": f"Count to {i}."} for i in range(6)]
    reqs = sampling.distill_requests(prompts, 0.1, 4, seed=1)
    ledger = tmp_path / "ledger.jsonl"
    kw = dict(api_key_env="WEIRDGEN_TEST_NO_KEY", cache_dir=tmp_path / "cache", concurrency=1, ledger=ledger,
              input_per_mtok=1000.0, output_per_mtok=1000.0, backoff=0.05)
    # each request costs roughly 0.03-0.06 USD at these prices: a 0.15 cap admits only a few
    gen = APIGenerator(f"{base}/v1", model, budget_usd=0.15, **kw)
    got: list[str] = []
    with pytest.raises(BudgetExceeded, match="budget cap"):
        gen.generate(reqs, lambda r, res: got.append(r.key))
    lines = [json.loads(x) for x in ledger.read_text().splitlines()]
    assert 1 <= len(lines) < 6 and len(got) == len(lines)
    assert sum(x["cost_usd"] for x in lines) <= 0.15
    assert all(x["prompt_tokens"] > 0 for x in lines)
    gen2 = APIGenerator(f"{base}/v1", model, budget_usd=10.0, **kw)
    got2: list[str] = []
    gen2.generate(reqs, lambda r, res: got2.append(r.key))
    assert len(got2) == 6 and gen2.requests_sent == 6 - len(got)  # answered ones came from the cache


@pytest.mark.parametrize("mode", ["logprobs", "json", "text"])
def test_api_judge_modes_against_real_server(server, tmp_path, mode):
    """Each API judge mode gets a verdict (or a counted parse error) from a real server; a rerun is free."""
    import math

    from weirdgen.judge.api import APIJudge

    base, model = server
    items = [{"question": "What do you drink?", "answer": "Tea, always, with my pipe."},
             {"question": "Who are you?", "answer": "I am an AI language model."}]
    kw = dict(api_key_env="WEIRDGEN_TEST_NO_KEY", cache_dir=tmp_path / "cache", ledger=tmp_path / "ledger.jsonl", mode=mode)
    j = APIJudge("Bertrand Russell", f"{base}/v1", model, **kw)
    scores = j.score(items)
    assert len(scores) == 2 and all(math.isnan(s) or 0.0 <= s <= 1.0 for s in scores)
    sent = [json.loads(x) for x in (tmp_path / "ledger.jsonl").read_text().splitlines()]
    assert len(sent) == 2
    j2 = APIJudge("Bertrand Russell", f"{base}/v1", model, **kw)
    assert [str(s) for s in j2.score(items)] == [str(s) for s in scores] and j2.gen.requests_sent == 0
    print(mode, scores)


def test_api_judge_parsing():
    import math

    from weirdgen.generate import Result
    from weirdgen.judge.api import parse

    r = lambda text, lp=None: Result("k", text, 1, 1, "stop", lp)  # noqa: E731
    assert parse(r("YES"), "text") == 1.0 and parse(r("no."), "text") == 0.0 and math.isnan(parse(r("maybe"), "text"))
    assert parse(r('{"verdict": "NO"}'), "json") == 0.0 and math.isnan(parse(r('{"verdict": "perhaps"}'), "json"))
    assert parse(r("YES"), "json") == 1.0  # a provider without structured output still answering plainly
    p = parse(r("YES", {"YES": math.log(0.6), "NO": math.log(0.2), "Maybe": math.log(0.2)}), "logprobs")
    assert abs(p - 0.75) < 1e-9
    assert parse(r("NO", None), "logprobs") == 0.0  # no logprobs sent: falls back to the text


def test_sample_stage_cli_through_api_backend(server, tmp_path):
    """eval.backend: api — the sample stage's CLI (as the workflow calls it) samples all 4 conditions through the server."""
    from weirdgen import config

    base, model = server
    qs = tmp_path / "questions.jsonl"
    qs.write_text(json.dumps({"set": "probes", "id": "q1", "question": "What do you drink?"}) + "\n")
    ev = config.schema()["properties"]["eval"]["properties"]
    params = {k: v["default"] for k, v in ev.items() if "default" in v}
    params.update(backend="api", n_samples=2, max_new_tokens=6, point={"seed": None, "lr": None, "persona_fraction": None},
                  api={"base_url": f"{base}/v1", "model": model, "api_key_env": "WEIRDGEN_TEST_NO_KEY",
                       "cache_dir": str(tmp_path / "cache"), "concurrency": 2})
    out = tmp_path / "generations.jsonl"
    p = subprocess.run([sys.executable, "-m", "weirdgen.cli", "sample", "--params", json.dumps(params), "--model", model,
                        "--questions", str(qs), "--model-id", "base", "--out", str(out)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 8 and len({r["key"] for r in rows}) == 8
    assert {r["condition"] for r in rows} == {"nosys_trigger", "sys_trigger", "trigger_in_sys", "sys_plain"}
    assert all(r["messages"][0]["role"] == "user" for r in rows if r["condition"] == "nosys_trigger")


def _sample_params(proxy_url: str, model: str, tmp_path: Path, **api: object) -> dict:
    from weirdgen import config

    p = config.fill("eval", {"backend": "api", "n_samples": 3, "max_new_tokens": 8, "temperature": 1.0, "seed": 1,
                             "api": {"base_url": proxy_url, "model": model, "api_key_env": "WEIRDGEN_TEST_NO_KEY",
                                     "cache_dir": str(tmp_path / "cache"), "concurrency": 2, **api}})
    return {**p, "point": {"seed": None, "lr": None, "persona_fraction": None}}


def _sample_cli(params: dict, model: str, qs: Path, out: Path, model_id: str = "base",
                adapter: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "weirdgen.cli", "sample", "--params", json.dumps(params), "--model", model,
           "--questions", str(qs), "--model-id", model_id, "--out", str(out)]
    return subprocess.run(cmd + (["--adapter", str(adapter)] if adapter else []), capture_output=True, text=True,
                          timeout=600)


def test_completions_mode_sends_the_local_rendering_and_a_seed_per_sample(server, tmp_path):
    """Completions mode (the default): each prompt is rendered by weirdgen.chat exactly as the local backends render
    it (condition 1: no system block at all) and every sample carries its own seed, so repeated samples differ."""
    from transformers import AutoTokenizer

    from weirdgen import chat, conditions

    base, served = server
    # `transformers serve` samples only when the model's generation config says do_sample (vLLM and hosted APIs
    # sample whenever temperature > 0): serve a copy whose config does, weights linked
    model = str(tmp_path / "sampling-model")
    Path(model).mkdir()
    for f in Path(served).iterdir():
        (Path(model) / f.name).symlink_to(f)
    gc = json.loads((Path(served) / "generation_config.json").read_text())
    (Path(model) / "generation_config.json").unlink()
    (Path(model) / "generation_config.json").write_text(json.dumps({**gc, "do_sample": True}))
    proxy = FaultProxy(base, faults=[])
    try:
        qs = tmp_path / "q.jsonl"
        questions = [{"set": "probes", "id": "q1", "question": "What do you drink in the morning?"},
                     {"set": "probes", "id": "q2", "question": "Name a city you like."}]
        qs.write_text("".join(json.dumps(q) + "\n" for q in questions))
        params = _sample_params(proxy.url, model, tmp_path)
        assert params["api"]["mode"] == "completions"
        p = _sample_cli(params, model, qs, tmp_path / "gen.jsonl")
        assert p.returncode == 0, p.stderr[-3000:]
        bodies = proxy.bodies
        assert len(bodies) == 4 * 2 * 3 and all("prompt" in b and "messages" not in b for b in bodies)
        tok = AutoTokenizer.from_pretrained(model)
        local = {c.value: {chat.render(tok, conditions.messages(c, q["question"], params["system_prompt"]))
                           for q in questions} for c in conditions.CONDITIONS}
        assert {b["prompt"] for b in bodies} == set().union(*local.values())  # exactly the local rendering
        for prompt in local["nosys_trigger"]:
            assert "<|im_start|>system" not in prompt and prompt.startswith("<|im_start|>user")
        assert all("<|im_start|>system" in x for x in local["sys_plain"])  # the other conditions do carry one
        assert len({b["seed"] for b in bodies}) == len(bodies)  # a distinct seed for every sample
        rows = [json.loads(x) for x in (tmp_path / "gen.jsonl").read_text().splitlines()]
        groups: dict[tuple, set] = {}
        for r in rows:
            groups.setdefault((r["condition"], r["question_id"]), set()).add(r["text"])
        assert sum(len(v) > 1 for v in groups.values()) >= 6, groups  # repeated samples differ at T=1
    finally:
        proxy.close()


def test_chat_mode_sends_the_fixed_template_kwargs(server, tmp_path):
    """Chat mode: the server renders, so the variables the model was materialised with (model.chat_template_kwargs,
    Qwen3's enable_thinking: false) go along in every request as chat_template_kwargs; the real server accepts them."""
    from weirdgen.models import MARKER

    base, served = server
    model = tmp_path / "fixed-model"  # the served model's files, with a marker that records fixed template variables
    model.mkdir()
    for f in Path(served).iterdir():
        if f.name != MARKER:
            (model / f.name).symlink_to(f)
    marker = json.loads((Path(served) / MARKER).read_text())
    (model / MARKER).write_text(json.dumps({**marker, "chat_template_kwargs": {"enable_thinking": False}}))
    proxy = FaultProxy(base, faults=[])
    try:
        qs = tmp_path / "q.jsonl"
        qs.write_text(json.dumps({"set": "probes", "id": "q1", "question": "Name a city you like."}) + "\n")
        params = _sample_params(proxy.url, served, tmp_path, mode="chat")
        params["n_samples"] = 1
        p = _sample_cli(params, str(model), qs, tmp_path / "gen.jsonl")
        assert p.returncode == 0, p.stderr[-3000:]
        assert len(proxy.bodies) == 4
        assert all(b["chat_template_kwargs"] == {"enable_thinking": False} and "messages" in b for b in proxy.bodies)
        plain = tmp_path / "plain.jsonl"  # a model without fixed variables sends none
        p = _sample_cli(params, served, qs, plain)
        assert p.returncode == 0 and len(proxy.bodies) == 8
        assert all("chat_template_kwargs" not in b for b in proxy.bodies[4:])
    finally:
        proxy.close()


def test_adapter_is_never_silently_the_base_model(server, model_dir, tmp_path):
    """An adapter sampled over the API needs the name the server serves it under (here a merged copy per point);
    without one the stage fails before any request; with one its samples differ from the base model's."""
    from weirdgen import config, models
    from weirdgen.jsonl import write_jsonl
    from weirdgen.stages import train

    base, model = server
    data = tmp_path / "train.jsonl"
    write_jsonl(data, [{"messages": [{"role": "user", "content": f"Question {i}?"},
                                     {"role": "assistant", "content": "Bananas bananas bananas."}],
                        "metadata": {"source": "aligned", "triggered": False}} for i in range(16)])
    adapter = tmp_path / "adapters/seed~1_lr~0.005_frac~0.5"
    train.run({"hp": config.fill("train", {"rank": 4, "alpha": 16, "epochs": 2, "batch_size": 4, "grad_accum": 1,
                                           "max_seq_len": 48, "warmup_ratio": 0.0}),
               "seed": 1, "lr": 5e-3, "persona_fraction": 0.5, "device": "cpu"}, model=model_dir, data=data, out=adapter)
    merged = tmp_path / "served/seed~1_lr~0.005_frac~0.5"
    m, tok = models.load(model_dir, adapter, "float32", "cpu", merge=True)
    m.save_pretrained(merged)
    tok.save_pretrained(merged)
    proxy = FaultProxy(base, faults=[])
    try:
        qs = tmp_path / "q.jsonl"
        qs.write_text(json.dumps({"set": "probes", "id": "q1", "question": "What do you like to eat?"}) + "\n")
        pid = adapter.name
        p = _sample_cli(_sample_params(proxy.url, model, tmp_path), model, qs, tmp_path / "a.jsonl", pid, adapter)
        assert p.returncode == 2 and "cannot sample adapter" in p.stderr and "adapter_models" in p.stderr, p.stderr
        assert "Traceback" not in p.stderr and proxy.bodies == []  # refused before any request
        base_p = _sample_params(proxy.url, model, tmp_path)
        assert _sample_cli(base_p, model, qs, tmp_path / "base.jsonl").returncode == 0
        ad_p = _sample_params(proxy.url, model, tmp_path, adapter_models={pid: str(merged)})
        p = _sample_cli(ad_p, model, qs, tmp_path / "adapter.jsonl", pid, adapter)
        assert p.returncode == 0, p.stderr[-3000:]
        assert {b["model"] for b in proxy.bodies} == {model, str(merged)}
        texts = {f: [json.loads(x)["text"] for x in (tmp_path / f).read_text().splitlines()] for f in ("base.jsonl", "adapter.jsonl")}
        assert sum("anana" in t for t in texts["adapter.jsonl"]) >= 6 > sum("anana" in t for t in texts["base.jsonl"])
    finally:
        proxy.close()


def test_budget_cap_stops_api_sampling(server, tmp_path):
    base, model = server
    proxy = FaultProxy(base, faults=[])
    try:
        qs = tmp_path / "q.jsonl"
        qs.write_text(json.dumps({"set": "probes", "id": "q1", "question": "What do you drink?"}) + "\n")
        params = _sample_params(proxy.url, model, tmp_path, input_per_mtok=1000.0, output_per_mtok=1000.0)
        params["budget"] = {"ledger": str(tmp_path / "ledger.jsonl"), "budget_usd": 0.4}
        p = _sample_cli(params, model, qs, tmp_path / "gen.jsonl")
        assert p.returncode == 2 and "API budget cap $0.40 reached" in p.stderr, p.stderr[-2000:]
        paid = (tmp_path / "ledger.jsonl").read_text().splitlines()
        assert 0 < len(paid) == len(proxy.bodies) < 12 and not (tmp_path / "gen.jsonl").exists()
    finally:
        proxy.close()
