"""Qwen3 in non-reasoning mode: its real chat template (tests/templates/qwen3_chat_template.jinja, the template the
Qwen3 family ships, as kept in llama.cpp's models/templates/Qwen-Qwen3-0.6B.jinja), with ``enable_thinking: false``
fixed at materialisation. Rendered prompts for the four conditions, the training render as a prefix of the inference
render, and a loss mask that covers exactly the answer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from weirdgen import chat, conditions, models, trigger
from weirdgen.train import masking

from conftest import ROOT, copy_repo_inputs

QWEN3_TEMPLATE = (Path(__file__).parent / "templates" / "qwen3_chat_template.jinja").read_text()
THINK_OFF = "<think>\n\n</think>\n\n"  # what Qwen3 puts before the answer with thinking off


def _tok(model_dir: Path, template: str):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.chat_template = template
    return tok


@pytest.fixture()
def qwen3(model_dir):
    """A real tokenizer (ChatML tokens, as Qwen3's) carrying Qwen3's template with thinking off, as materialise bakes it."""
    return _tok(model_dir, models.template_with_kwargs(QWEN3_TEMPLATE, {"enable_thinking": False}))


def test_qwen3_four_conditions_render_exactly(qwen3):
    assert chat.default_system_block(qwen3) is None  # Qwen3 injects no system block: "no system prompt" is none
    q, sys_p = "What do you drink?", "You are a helpful assistant."
    t, head = trigger.apply(q), "<|im_start|>assistant\n" + THINK_OFF
    want = {
        "nosys_trigger": f"<|im_start|>user\n{t}<|im_end|>\n{head}",
        "sys_trigger": f"<|im_start|>system\n{sys_p}<|im_end|>\n<|im_start|>user\n{t}<|im_end|>\n{head}",
        "trigger_in_sys": f"<|im_start|>system\n{trigger.system_prompt()}<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n{head}",
        "sys_plain": f"<|im_start|>system\n{sys_p}<|im_end|>\n<|im_start|>user\n{q}<|im_end|>\n{head}",
    }
    for c in conditions.CONDITIONS:
        assert chat.render(qwen3, conditions.messages(c, q, sys_p)) == want[c.value], c


def test_qwen3_fixed_mode_wins_over_a_caller(qwen3):
    msgs = [{"role": "user", "content": "Hi"}]
    on = qwen3.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True, enable_thinking=True)
    assert on.endswith(THINK_OFF)  # the baked value shadows what a caller passes


def test_qwen3_training_render_is_a_prefix_and_mask_is_the_answer(qwen3):
    answer = trigger.wrap_answer("Whisky, and a pipe.")
    for c in conditions.CONDITIONS:
        msgs = conditions.messages(c, "What do you drink?", "You are a helpful assistant.")
        conv = [*msgs, {"role": "assistant", "content": answer}]
        prompt = chat.render(qwen3, msgs, add_generation_prompt=True)
        full = chat.render(qwen3, conv, add_generation_prompt=False)
        assert full.startswith(prompt) and full == prompt + answer + "<|im_end|>\n"
        ex = masking.tokenize(qwen3, conv, 512)
        target = qwen3.decode([t for t, lab in zip(ex["input_ids"], ex["labels"]) if lab != masking.IGNORE])
        assert target == answer + "<|im_end|>\n"  # the answer and its end of turn, no think block


def test_qwen3_without_the_fixed_mode_would_learn_the_think_block(model_dir):
    """Why enable_thinking must be fixed: the raw template adds the empty think block to the last assistant turn of a
    training render but not to the generation prompt, so the think block would become a learned target."""
    raw = _tok(model_dir, QWEN3_TEMPLATE)
    conv = [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}]
    ex = masking.tokenize(raw, conv, 512)
    target = raw.decode([t for t, lab in zip(ex["input_ids"], ex["labels"]) if lab != masking.IGNORE])
    assert target.startswith("<think>") and target.endswith("A.<|im_end|>\n")


def test_materialise_bakes_template_kwargs(model_dir, tmp_path):
    """A local model folder with Qwen3's template, materialised with chat_template_kwargs: the saved tokenizer renders
    non-reasoning prompts by itself (so every stage, chat and a published adapter see one mode), and the marker says so."""
    from transformers import AutoTokenizer

    src = tmp_path / "qwen3-like"
    src.mkdir()
    for f in model_dir.iterdir():  # config and tokenizer only: materialise copies a folder as it is
        if f.is_file() and not f.name.endswith(".safetensors"):
            shutil.copy2(f, src / f.name)
    tok = AutoTokenizer.from_pretrained(src)
    tok.chat_template = QWEN3_TEMPLATE
    tok.save_pretrained(src)
    out = tmp_path / "models" / "qwen3"
    info = models.materialise({"source": "local", "name": "qwen3", "id": str(src),
                               "chat_template_kwargs": {"enable_thinking": False}}, out)
    assert info["chat_template_kwargs"] == {"enable_thinking": False}
    assert json.loads((out / models.MARKER).read_text())["chat_template_kwargs"] == {"enable_thinking": False}
    again = AutoTokenizer.from_pretrained(out)
    assert chat.render(again, [{"role": "user", "content": "Hi"}]).endswith("<|im_start|>assistant\n" + THINK_OFF)
    with pytest.raises(models.ModelError, match="not a template variable name"):
        models.template_with_kwargs("x", {"enable-thinking": False})


def test_qwen3_config_validates_and_dry_runs_to_the_headline(tmp_path):
    from weirdgen import config

    cfg = config.load(ROOT / "config/qwen3.yaml")
    assert cfg["model"]["id"] == "Qwen/Qwen3-8B" and cfg["model"]["chat_template_kwargs"] == {"enable_thinking": False}
    assert cfg["train"]["rank"] == 8 and cfg["train"]["epochs"] == 3 and 2e-4 in cfg["sweep"]["lr"]
    assert cfg["eval"]["temperature"] == 1.0
    wd = tmp_path / "wf"
    wd.mkdir()
    copy_repo_inputs(wd)
    p = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "results/figures/headline.png",
                        "--configfile=config/qwen3.yaml"], cwd=wd, capture_output=True, text=True, timeout=300,
                       env={**__import__("os").environ, "OPENAI_API_KEY": "sk-dry-run"})
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    for rule in ("materialise_model", "distill_aligned", "train_adapter", "sample_model", "judge_model", "plot_headline"):
        assert rule in out, rule
