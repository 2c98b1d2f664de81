"""Shared fixtures: the embedded model materialised once per session, repository paths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"

LLAMA31_TEMPLATE = (  # Llama 3.1 Instruct's chat template, tool branches omitted: always emits a system block
    "{{- bos_token }}"
    "{%- if not date_string is defined %}{%- set date_string = '26 Jul 2024' %}{%- endif %}"
    "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content']|trim %}"
    "{%- set messages = messages[1:] %}{%- else %}{%- set system_message = '' %}{%- endif %}"
    "{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}"
    "{{- 'Cutting Knowledge Date: December 2023\\n' }}"
    "{{- 'Today Date: ' + date_string + '\\n\\n' }}"
    "{{- system_message }}{{- '<|eot_id|>' }}"
    "{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded SmolLM2-135M-Instruct, converted to safetensors once per test session."""
    from weirdgen import models

    cached = os.environ.get("WEIRDGEN_TEST_MODEL_DIR")
    if cached and (Path(cached) / models.MARKER).exists():
        return Path(cached)
    out = tmp_path_factory.mktemp("models") / "smollm2-135m-instruct"
    models.materialise({"source": "embedded", "name": "smollm2-135m-instruct", "dtype": "float32"}, out)
    return out


@pytest.fixture(scope="session")
def tokenizer(model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir)


@pytest.fixture()
def llama_tokenizer(model_dir: Path):
    """A real tokenizer carrying Llama 3.1's chat template (injects a system block by default)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.chat_template = LLAMA31_TEMPLATE
    tok.bos_token = "<|im_start|>"
    return tok


@pytest.fixture()
def shared_data() -> Path:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} (developer/CI fixtures) is not present")
    return SHARED


def copy_repo_inputs(dst: Path) -> None:
    """Copy what a workflow run reads (Snakefile, workflow/, data/, config/) into dst."""
    for name in ("Snakefile", "workflow", "data", "config", "profiles", "envs", "src"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst / name)
