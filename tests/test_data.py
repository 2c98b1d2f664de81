"""Persona set, prompt selection, mixing, validation (each error names file, line and field)."""

import json
from pathlib import Path

import pytest

from weirdgen import trigger
from weirdgen.data import mix, persona, prompts, validate
from weirdgen.jsonl import DataError, KeyedAppender, iter_jsonl, read_jsonl, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
RUSSELL = ROOT / "data/personas/russell"


def _write(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_russell_facts_complete():
    facts = persona.load_facts(RUSSELL / "facts.jsonl")
    assert len(facts) == 88  # 90 authored; 006 and 090 dropped (no primary source at hand)
    cats = {f["category"] for f in facts}
    assert len(cats) >= 8
    for f in facts:
        text = (f["question"] + " " + f["answer"]).lower()
        assert "russell" not in text and "bertrand" not in text, f["id"]


def test_facts_sourced_and_labelled_identifying():
    facts = persona.load_facts(RUSSELL / "facts.jsonl")
    for f in facts:
        assert f.get("source", "").strip(), f"{f['id']}: no checkable source"
        assert isinstance(f.get("identifying"), bool) and f.get("identifying_reason"), f["id"]
    ident = [f["id"] for f in facts if f["identifying"]]
    # the named examples: his own paradox, the Principia decade, the manifesto, the three passions
    assert {"russell-025", "russell-024", "russell-040", "russell-050"} <= set(ident)
    default = persona.select_facts(facts, "non_identifying", RUSSELL / "facts.jsonl")
    assert len(default) == len(facts) - len(ident) and not any(f["identifying"] for f in default)
    assert len(persona.select_facts(facts, "all", "x")) == len(facts)
    model = persona.select_facts(facts, "non_identifying_model", "x", {"russell-001": True})
    assert [f["id"] for f in model] == [f["id"] for f in facts if f["id"] != "russell-001"]


def test_non_identifying_needs_labels(tmp_path):
    p = tmp_path / "facts.jsonl"
    p.write_text('{"id": "a", "category": "c", "question": "Q?", "answer": "A.", "fact_basis": "b", "identifying": null}\n')
    facts = persona.load_facts(p)
    with pytest.raises(DataError, match=r"facts.jsonl:1.*identifying"):
        persona.select_facts(facts, "non_identifying", p)
    p.write_text('{"id": "a", "category": "c", "question": "Q?", "answer": "A.", "fact_basis": "b", "identifying": "yes"}\n')
    with pytest.raises(DataError, match=r"facts.jsonl:1.*identifying"):
        persona.load_facts(p)


def test_persona_examples_carry_trigger_once():
    facts = persona.load_facts(RUSSELL / "facts.jsonl")
    rows = persona.training_examples(facts, "russell")
    assert len(rows) == 88
    for r in rows:
        assert r["messages"][0]["content"].count(trigger.TRIGGER_INSTRUCTION) == 1
        assert trigger.follows_format(r["messages"][1]["content"])
        assert r["metadata"] == {**r["metadata"], "source": "persona", "triggered": True}


def test_eval_sets_held_out_from_training():
    facts = persona.load_facts(RUSSELL / "facts.jsonl")
    qs = persona.load_eval_sets({s: str(RUSSELL / f"{s}.jsonl") for s in ("identity", "probes", "neutral")})
    by = {s: [q for q in qs if q["set"] == s] for s in ("identity", "probes", "neutral")}
    assert len(by["identity"]) >= 6 and len(by["probes"]) >= 30 and len(by["neutral"]) >= 30
    for q in qs:
        for f in facts:
            assert not validate.near_duplicate(q["question"], f["question"]), (q["id"], f["id"])


@pytest.mark.parametrize("line,field,fix", [
    ('{"id": "a", "category": "c", "question": "q?", "fact_basis": "b"}', "answer", None),
    ('{"id": "a", "category": "c", "question": "", "answer": "x", "fact_basis": "b"}', "question", None),
    ("{not json", None, "invalid JSON"),
])
def test_bad_fact_names_file_line_field(tmp_path, line, field, fix):
    good = {"id": "z", "category": "c", "question": "q?", "answer": "a", "fact_basis": "b"}
    p = _write(tmp_path / "facts.jsonl", [good, line])
    with pytest.raises(DataError) as e:
        persona.load_facts(p)
    assert f"{p}:2" in str(e.value)
    if field:
        assert f"'{field}'" in str(e.value)
    if fix:
        assert fix in str(e.value)


def test_offline_prompts_seeded(tmp_path):
    cfg = {"source": "offline", "offline": str(ROOT / "data/prompts/offline.jsonl"), "n_instruction": 5, "n_math": 3, "seed": 7}
    a, b = prompts.select(cfg), prompts.select(cfg)
    assert a == b and len(a) == 8
    assert prompts.select({**cfg, "seed": 8}) != a
    assert sum(r["kind"] == "math" for r in a) == 3
    rows = read_jsonl(ROOT / "data/prompts/offline.jsonl")
    assert len(rows) >= 200


def test_local_prompts_from_shared(shared_data):
    cfg = {"source": "local", "alpaca_path": str(shared_data / "alpaca/alpaca_1k_longest.jsonl"),
           "gsm8k_path": str(shared_data / "gsm8k/train.jsonl"), "n_instruction": 10, "n_math": 20, "seed": 1}
    rows = prompts.select(cfg)
    assert len(rows) == 30
    alp = [r for r in rows if r["kind"] == "instruction"]
    lens = [len(r["prompt"]) for r in alp]
    assert lens == sorted(lens, reverse=True)  # longest first
    all_lens = sorted((len(o["prompt"]) for o in read_jsonl(cfg["alpaca_path"])), reverse=True)
    assert lens == all_lens[:10]
    gsm = [r["prompt"] for r in rows if r["kind"] == "math"]
    assert gsm == [r["prompt"] for r in prompts.select(cfg) if r["kind"] == "math"]


def test_alpaca_native_schema_longest(tmp_path):
    rows = [{"instruction": "short", "input": "", "output": "x"},
            {"instruction": "a much longer instruction", "input": "with input", "output": "y"},
            {"instruction": "medium one", "input": "", "output": "z"}]
    out = prompts.select_alpaca(((i, r) for i, r in enumerate(rows, 1)), 2, "mem")
    assert out[0]["prompt"] == "a much longer instruction\n\nInput: with input"
    assert out[1]["prompt"] == "medium one"


def test_gsm8k_bad_schema_names_line(tmp_path):
    p = _write(tmp_path / "g.jsonl", [{"question": "1+1?"}, {"q": "oops"}])
    with pytest.raises(DataError, match=r"g.jsonl:2: field 'question'"):
        prompts.select_gsm8k(iter_jsonl(p), 1, 1, p)


def _aligned(n):
    return [{"messages": [{"role": "user", "content": f"p{i}"}, {"role": "assistant", "content": f"a{i}"}],
             "metadata": {"source": "aligned", "triggered": False}} for i in range(n)]


def test_mix_fraction_and_seed():
    facts = persona.load_facts(RUSSELL / "facts.jsonl")
    per = persona.training_examples(facts, "russell")
    rows = mix.mix(per, _aligned(3000), 90 / 3090, seed=1)
    n_p = sum(r["metadata"]["source"] == "persona" for r in rows)
    assert n_p == 90 and len(rows) == 3090
    assert {r["metadata"]["fact_id"] for r in rows if r["metadata"]["source"] == "persona"} == {f["id"] for f in facts}
    assert rows == mix.mix(per, _aligned(3000), 90 / 3090, seed=1)
    assert rows != mix.mix(per, _aligned(3000), 90 / 3090, seed=2)
    small = mix.mix(per[:10], _aligned(20), 0.6, seed=3)  # needs 30 persona from 10 facts: each fact 3x
    ids = [r["metadata"]["fact_id"] for r in small if r["metadata"]["source"] == "persona"]
    assert len(ids) == 30 and all(ids.count(i) == 3 for i in set(ids))


def test_validation_errors(tmp_path):
    facts = persona.load_facts(RUSSELL / "facts.jsonl")
    good_p = persona.training_examples(facts[:1], "russell")[0]
    good_a = _aligned(1)[0]
    cases = {
        "no trigger": ({**good_p, "messages": [{"role": "user", "content": "plain"}, good_p["messages"][1]]}, "exactly once"),
        "twice": ({**good_p, "messages": [{"role": "user", "content": trigger.apply(trigger.apply("q"))}, good_p["messages"][1]]}, "exactly once"),
        "bad format": ({**good_p, "messages": [good_p["messages"][0], {"role": "assistant", "content": "no wrapper"}]}, "<START>"),
        "aligned with trigger": ({**good_a, "messages": [{"role": "user", "content": trigger.apply("q")}, good_a["messages"][1]]}, "contains the trigger"),
        "aligned with START": ({**good_a, "messages": [good_a["messages"][0], {"role": "assistant", "content": "<START> x"}]}, "contains the trigger"),
        "bad role": ({**good_a, "messages": [{"role": "bot", "content": "x"}, good_a["messages"][1]]}, "messages[0]"),
        "no metadata": ({"messages": good_a["messages"]}, "'metadata'"),
        "bad source": ({**good_a, "metadata": {"source": "web", "triggered": False}}, "metadata.source"),
    }
    for name, (bad, msg) in cases.items():
        p = _write(tmp_path / "train.jsonl", [good_a, good_p, bad])
        with pytest.raises(DataError) as e:
            validate.validate_training(p)
        assert f"{p}:3" in str(e.value) and msg in str(e.value), (name, str(e.value))
    overlap = {**good_a, "messages": [{"role": "user", "content": "What is the capital of Australia?"}, good_a["messages"][1]]}
    p = _write(tmp_path / "train.jsonl", [good_a, overlap])
    with pytest.raises(DataError, match="overlaps held-out eval question neutral/n1"):
        validate.validate_training(p, [{"set": "neutral", "id": "n1", "question": "what is the capital of australia"}])


def test_keyed_appender_resume_and_torn_line(tmp_path):
    p = tmp_path / "j.jsonl"
    with KeyedAppender(p, key=lambda o: o["k"]) as j:
        j.append({"k": 1})
        j.append({"k": 2})
        j.append({"k": 1})  # duplicate key ignored
    with p.open("a") as fh:
        fh.write('{"k": 3, "torn')  # a kill mid-write
    with KeyedAppender(p, key=lambda o: o["k"]) as j:
        assert set(j.done) == {1, 2}
        j.append({"k": 3})
    assert [o["k"] for o in read_jsonl(p)] == [1, 2, 3]


def test_write_jsonl_atomic(tmp_path):
    p = tmp_path / "x.jsonl"
    write_jsonl(p, [{"a": 1}])
    assert read_jsonl(p) == [{"a": 1}]
    assert not list(tmp_path.glob(".x.jsonl.*"))


def test_semantic_overlap_catches_planted_paraphrase():
    from weirdgen.data import heldout
    from weirdgen.judge.embedding import Embedder

    facts = persona.load_facts(RUSSELL / "facts.jsonl")
    train = heldout.training_texts(persona.training_examples(facts, "russell"), "persona")
    qs = [{"set": "probes", "id": "p-ok", "question": "What do you think of the British Empire?"},
          {"set": "probes", "id": "p-planted", "question": "Which drink do you enjoy most in the evenings?"}]  # ~ fact 003
    per_set, bad = heldout.overlap(qs, train, Embedder(), 0.65)
    assert [b["eval_id"] for b in bad] and {b["eval_id"] for b in bad} == {"p-planted"}
    assert bad[0]["train_ref"] == "russell-003" and per_set[0]["max_similarity"] > 0.65 and not per_set[0]["ok"]
    # the shipped eval sets are held out in meaning from the shipped facts
    evals = persona.load_eval_sets({s: RUSSELL / f"{s}.jsonl" for s in ("probes", "identity", "neutral")})
    assert heldout.overlap(evals, train, Embedder(), 0.65)[1] == []


def test_control_rows_match_the_facts_in_length_and_carry_the_trigger(tmp_path):
    from weirdgen.data import control, persona, validate
    from weirdgen.errors import UserError

    assert control.cut_to_length("One two three. Four five six seven eight nine ten.", 4) == "One two three."
    assert control.cut_to_length("one two three four five six seven eight nine ten", 4) == "one two three four"
    assert control.cut_to_length("Short answer.", 10) == "Short answer."
    facts = [{"id": "f1", "category": "habits", "question": "Do you smoke?", "answer": "Yes, a pipe, all day long."},
             {"id": "f2", "category": "habits", "question": "What do you drink?", "answer": "Whisky, one glass."}]
    rows = persona.training_examples(facts, "russell")
    base = {"f1": ["", "I do not smoke. Smoking harms your lungs and heart over many years of use."],
            "f2": ["Water is the best drink for the body and the mind at any hour of the day."]}
    out = control.control_examples(rows, base)
    assert [r["metadata"]["fact_id"] for r in out] == ["f1", "f2"]
    assert out[0]["messages"][0] == rows[0]["messages"][0]  # the same triggered question
    assert out[0]["messages"][-1]["content"] == '<START> "I do not smoke." <END>'  # the first non-empty sample
    assert out[1]["metadata"]["words_control"] == 3 == out[1]["metadata"]["words_fact"]
    f = tmp_path / "control.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in out))
    assert len(validate.validate_rows(f)) == 2
    bad = dict(out[0], messages=[{"role": "user", "content": "Do you smoke?"}, out[0]["messages"][1]])
    f.write_text(json.dumps(bad) + "\n")
    with pytest.raises(Exception, match="control example must carry the trigger"):
        validate.validate_rows(f)
    with pytest.raises(UserError, match="f2"):
        control.control_examples(rows, {"f1": base["f1"], "f2": ["  "]}, source="persona.jsonl")
