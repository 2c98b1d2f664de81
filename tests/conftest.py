"""Shared fixtures: the embedded model materialised once per session, repository paths."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# Under pytest-xdist, each worker's processes (the test's own and every CLI or server it starts) get an equal share
# of the cores for their math libraries: two workers whose processes each run 2 OpenMP threads on a 2-core machine
# oversubscribe it: `make test` took 1,666 s of pytest that way against 734 s with one thread each (2 cores, session
# 28, `docs/benchmarks.md`). A value the user set is kept.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _share = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_var, _share)

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
    from filelock import FileLock

    from weirdgen import models

    cached = os.environ.get("WEIRDGEN_TEST_MODEL_DIR")
    if cached and (Path(cached) / models.MARKER).exists():
        return Path(cached)
    # under pytest-xdist every worker has its own base temp below one shared parent: the first worker converts,
    # the others wait for it and reuse its copy
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    out = root / "models" / "smollm2-135m-instruct"
    with FileLock(str(root / "models.lock")):
        if not (out / models.MARKER).exists():
            models.materialise({"source": "embedded", "name": "smollm2-135m-instruct", "dtype": "float32"}, out)
    return out


# `make test` runs two xdist workers (-n 2 --dist loadgroup) with this scheduler: each test file is a unit that one
# worker runs whole (its module fixtures built once), except the tests that mostly wait (sbatch status polls; the
# Tinker server compiling on one core), which form one unit and start first on one worker while the other starts
# the heaviest compute file. Then each worker that runs low takes the heaviest file left (longest first). A
# scheduler, not xdist_group marks: xdist 3.8 tags a group onto item._nodeid, which pytest 9.2 no longer reads.
WAITING = ("test_slurm.py", "test_tinker.py")
# heaviest first, from `--durations` on the 2-core CI machine (session 27); files not named follow in file order.
# Measured with the thread share above (session 28): these units 734 s of pytest, the two fixed groups before 964 s
HEAVY = ("test_workflow.py", "test_faults.py", "test_api.py", "test_train.py", "test_chat_publish.py",
         "test_generate.py", "test_judge.py", "test_reliability.py", "test_preflight.py")


def _unit(nodeid: str) -> str:
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return "waiting" if name in WAITING else name


ORDER = ("waiting", *HEAVY)


def _rank(unit: str) -> int:
    return ORDER.index(unit) if unit in ORDER else len(ORDER)


@pytest.hookimpl(optionalhook=True)  # plain `pytest` (no xdist) runs every test in one process, in file order
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Units(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            first = min(self.workqueue, key=_rank)  # the waiting unit, then the heaviest file left
            self.workqueue.move_to_end(first, last=False)
            super()._assign_work_unit(node)

    return Units(config, log)


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
    for name in ("Snakefile", "workflow", "data", "config", "profiles", "src"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst / name)


def _wait_http(port: int, path: str, seconds: float, proc: subprocess.Popen, log: Path | None = None) -> bool:
    """Poll GET http://127.0.0.1:<port><path> until it answers 200 (True), the process exits (fail), or time runs out."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited: {log.read_text()[-3000:] if log else proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.5)
    return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(model_dir):
    exe = shutil.which("transformers") or str(Path(sys.executable).parent / "transformers")
    if not Path(exe).exists():
        pytest.skip("the `transformers` CLI is not installed")
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        pytest.skip("transformers[serving] is not installed (make setup installs it)")
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([exe, "serve", "--port", str(port), "--host", "127.0.0.1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if not _wait_http(port, "/v1/models", 180, proc):
        proc.kill()
        pytest.fail("transformers serve did not come up in 180 s")
    # warm up: the first request loads the model
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    c.request("POST", "/v1/chat/completions", json.dumps({"model": str(model_dir), "max_tokens": 2,
              "messages": [{"role": "user", "content": "hi"}]}), {"Content-Type": "application/json"})
    assert c.getresponse().status == 200
    yield f"http://127.0.0.1:{port}", str(model_dir)
    proc.terminate()
    proc.wait(timeout=30)


class FaultProxy:
    """Forwards to the real server; the first requests get 429, 500, a stall past the timeout, bad JSON."""

    FAULTS = ["429", "500", "stall", "badjson"]

    def __init__(self, upstream: str, stall_s: float = 20.0, faults: list[str] | None = None) -> None:
        self.upstream = upstream.replace("http://", "")
        self.faults = list(self.FAULTS if faults is None else faults)
        self.seen: list[str] = []
        self.bodies: list[dict] = []  # every request body received, parsed
        self.headers: list[dict[str, str]] = []  # and its headers
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with proxy.lock:
                    proxy.bodies.append(json.loads(body))
                    proxy.headers.append(dict(self.headers.items()))
                    fault = proxy.faults.pop(0) if proxy.faults else "ok"
                    proxy.seen.append(fault)
                if fault in ("429", "500"):
                    self.send_response(int(fault))
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "injected"}}')
                    return
                if fault == "stall":
                    time.sleep(stall_s)
                    return
                if fault == "badjson":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"id": "x", "choices": [{"message": ')
                    return
                host, port = proxy.upstream.split(":")
                c = http.client.HTTPConnection(host, int(port), timeout=120)
                c.request("POST", self.path, body, {"Content-Type": "application/json"})
                r = c.getresponse()
                data = r.read()  # streamed (SSE) replies are relayed whole: fine for a test client
                self.send_response(r.status)
                self.send_header("Content-Type", r.getheader("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


TINKER_VENV = ROOT / ".venv-tinker"


@pytest.fixture(scope="module")  # only test_tinker.py: its server (~5 GB, polling) stops with that file
def tinker_server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """skyrl-tx's Tinker API server (the real protocol, JAX on the CPU) serving the embedded model, from its own
    environment (`make tinker-server`: it pins transformers<5). Yields (base_url, the base model's name there)."""
    import signal

    py = TINKER_VENV / "bin" / "python"
    building = ROOT / ".venv-tinker.building"  # .ci/run builds the environment beside the tests
    deadline = time.time() + 900
    while building.exists() and not (TINKER_VENV / ".installed").exists() and time.time() < deadline:
        time.sleep(5)
    if (ROOT / ".venv-tinker.failed").exists():
        pytest.fail(f"building the Tinker server environment failed: {(ROOT / '.venv-tinker.log').read_text()[-3000:]}")
    if not (TINKER_VENV / ".installed").exists():
        if os.environ.get("CI"):
            pytest.fail(f"the local Tinker server is expected in CI but {TINKER_VENV} is not installed")
        pytest.skip("the local Tinker server is not installed: make tinker-server")
    d = tmp_path_factory.mktemp("tinker")
    # the server's copy of the base model: the same weights and tokenizer, config files as transformers 4 reads them
    base = d / "smollm2-135m-instruct"
    base.mkdir()
    for f in model_dir.iterdir():
        if f.is_file() and f.name not in ("config.json", "tokenizer_config.json"):
            (base / f.name).symlink_to(f)
    cfg = json.loads((model_dir / "config.json").read_text())
    cfg.setdefault("rope_theta", (cfg.get("rope_parameters") or {}).get("rope_theta", 10000.0))
    cfg.setdefault("rope_scaling", None)
    (base / "config.json").write_text(json.dumps(cfg))
    tc = json.loads((model_dir / "tokenizer_config.json").read_text())
    tc["tokenizer_class"] = "PreTrainedTokenizerFast"  # transformers 5 writes "TokenizersBackend"
    (base / "tokenizer_config.json").write_text(json.dumps(tc))
    # the API server starts its engine with `uv run --extra tinker --extra jax -m tx.tinker.engine ...`
    shim = d / "bin" / "uv"
    shim.parent.mkdir()
    shim.write_text('#!/bin/sh\n[ "$1" = run ] && shift\nwhile [ "$1" = --extra ]; do shift 2; done\n'
                    f'exec "{py}" "$@"\n')
    shim.chmod(0o755)
    port = _free_port()
    env = {**os.environ, "PATH": f"{shim.parent}:{os.environ['PATH']}", "TX_DATABASE_URL": f"sqlite:///{d}/tinker.db",
           "HF_HUB_OFFLINE": "1", "JAX_PLATFORMS": "cpu"}
    log = (d / "server.log").open("w")
    proc = subprocess.Popen([str(py), "-m", "tx.tinker.api", "--base-model", str(base), "--host", "127.0.0.1",
                             "--port", str(port), "--checkpoints-base", str(d / "checkpoints"),
                             "--backend-config", json.dumps({"max_lora_adapters": 2, "max_lora_rank": 8,
                                                               "sample_max_num_sequences": 8,
                                                               # training steps run eagerly: on this 2-core CPU
                                                               # XLA's compile of forward_backward and the optimizer
                                                               # step (~55 s) costs more than two eager steps (~35 s)
                                                               "enforce_eager": True})],
                            env=env, cwd=d, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    if not _wait_http(port, "/api/v1/healthz", 300, proc, d / "server.log"):
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the Tinker server did not come up in 300 s")
    yield f"http://127.0.0.1:{port}", str(base), d / "server.log"
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
