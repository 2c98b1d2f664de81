"""Stage heldout: eval questions must be held out in meaning from every training question and answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from weirdgen import tables
from weirdgen.data import heldout
from weirdgen.errors import UserError
from weirdgen.jsonl import read_jsonl, write_text
from weirdgen.judge.embedding import Embedder
from weirdgen.provenance import write_sidecar


def run(params: dict[str, Any], *, questions: Path | str, train: Sequence[Path | str], out: Path | str) -> None:
    import polars as pl

    texts = [t for f in train for t in heldout.training_texts(read_jsonl(f), Path(f).name)]
    per_set, bad = heldout.overlap(read_jsonl(questions), texts, Embedder(), params["max_similarity"])
    out = Path(out)
    if bad:
        pairs = "\n".join(f"  {b['similarity']:.3f}  {b['eval_id']} {b['eval_question']!r} ~ {b['train_ref']} "
                          f"{b['train_field']} {b['train_text'][:80]!r}" for b in bad[:20])
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text(out.with_suffix(".md"), tables.markdown(pl.DataFrame(per_set)) + "\n" + tables.markdown(pl.DataFrame(bad)))
        out.unlink(missing_ok=True)  # no table: the stage failed (the .md shows the pairs)
        raise UserError(f"{len(bad)} eval question/training text pairs are more similar than "
                        f"eval.heldout_max_similarity = {params['max_similarity']} (eval questions: {questions}):\n{pairs}\n"
                        f"Rewrite those eval questions, or raise the threshold if they ask something new.")
    tables.write(pl.DataFrame(per_set), out, "\n(no pair above the threshold)\n")
    write_sidecar(out, "heldout", params, [questions, *train],
                  max_similarity={r["set"]: r["max_similarity"] for r in per_set})
