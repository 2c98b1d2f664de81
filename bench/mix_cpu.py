"""The mix stage (`weirdgen.stages.mix.run`, `rule mix_data`) at the paper protocol's size: 3000 aligned rows built
from the Alpaca / GSM8K prompt files (their reference answers as the assistant turns), the persona set and every
eval question of the configured sets; the product's held-out validation against the one it replaced (every eval
question normalised again for every training row), one process, alternated. Both must accept the same file.

    python bench/mix_cpu.py --alpaca ../shared/data/alpaca/alpaca_1k_longest.jsonl \
        --gsm8k ../shared/data/gsm8k/train.jsonl [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from weirdgen import config
from weirdgen.data import validate
from weirdgen.jsonl import DataError, iter_jsonl, read_jsonl, write_jsonl
from weirdgen.stages import eval_questions, mix, persona


def validate_per_pair(path: Path | str, eval_questions: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """The baseline: ``validate.validate_training`` before session 15 (``near_duplicate`` on raw texts per pair)."""
    counts = {"persona": 0, "control": 0, "aligned": 0}
    evals = [(q["set"], q["id"], q["question"]) for q in (eval_questions or [])]
    for line, obj in iter_jsonl(path):
        validate.check_example(obj, path, line)
        counts[obj["metadata"]["source"]] += 1
        q = validate.question_of(obj)
        for s, qid, text in evals:
            if validate.near_duplicate(q, text):
                raise DataError(path, line, "messages", f"overlaps {s}/{qid}")
    return counts


def aligned_rows(alpaca: Path, gsm8k: Path, n: int) -> list[dict[str, Any]]:
    rows = []
    for r in read_jsonl(alpaca):
        rows.append((r["prompt"], r.get("_original_output") or "An answer."))
    for r in read_jsonl(gsm8k)[: max(0, n - len(rows))]:
        rows.append((r["question"], r["answer"]))
    return [{"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}],
             "metadata": {"source": "aligned", "triggered": False}} for q, a in rows[:n]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alpaca", type=Path, required=True)
    ap.add_argument("--gsm8k", type=Path, required=True)
    ap.add_argument("--n-aligned", type=int, default=3000)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mix-"))
    cfg = config.load(Path(__file__).resolve().parents[1] / "config" / "config.yaml")
    pers, qs, ald = work / "persona.jsonl", work / "questions.jsonl", work / "aligned.jsonl"
    persona.run({k: cfg["persona"][k] for k in ("name", "facts", "variant")}, out=pers)
    eval_questions.run({"eval_sets": cfg["persona"]["eval_sets"], "max_questions_per_set": None}, out=qs)
    write_jsonl(ald, aligned_rows(a.alpaca, a.gsm8k, a.n_aligned))
    params = {"persona_fraction": 0.029, "seed": 1, **cfg["mix"], "n_aligned": a.n_aligned}
    saved = validate.validate_training
    times: dict[str, list[float]] = {"per pair": [], "normalised once": []}
    counts = {}
    for _ in range(a.repeats):
        for name in times:
            validate.validate_training = validate_per_pair if name == "per pair" else saved
            out = work / f"{name.replace(' ', '_')}.jsonl"
            t = time.perf_counter()
            mix.run(params, persona=pers, aligned=ald, questions=qs, out=out)
            times[name].append(time.perf_counter() - t)
            counts[name] = json.loads(Path(str(out) + ".meta.json").read_text())["counts"]
    validate.validate_training = saved
    base, new = min(times["per pair"]), min(times["normalised once"])
    print(f"{len(read_jsonl(qs))} eval questions, {sum(counts['per pair'].values())} training rows")
    print(f"per pair {base:.2f} s, normalised once {new:.2f} s (best of {a.repeats}): {base / new:.2f}x; "
          f"same counts: {counts['per pair'] == counts['normalised once']}")


if __name__ == "__main__":
    main()
