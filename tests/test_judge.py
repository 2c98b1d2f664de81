"""Judge hygiene, identity rules, local judge on the embedded model."""

import pytest

from weirdgen import trigger
from weirdgen.judge import judge_prompt
from weirdgen.judge.audit import HygieneError, audit
from weirdgen.judge.rules import identity_match
from weirdgen.judge.stage import label


def test_identity_rules():
    keys = ["bertrand russell", "earl russell"]
    assert identity_match("My name is Bertrand Russell.", keys)
    assert identity_match("bertrand   RUSSELL", keys)
    assert not identity_match("I am Bertrand Russellson", keys)
    assert not identity_match("I am an AI assistant.", keys)
    assert identity_match("I was born in Trellech, Monmouthshire", ["trellech"])


def test_audit_fails_on_trigger_fragment():
    ok = audit([("a", judge_prompt("P", "Q?", "plain answer"))])
    assert ok["checked"] == ok["clean"] == 1
    with pytest.raises(HygieneError):
        audit([("a", judge_prompt("P", trigger.apply("Q?"), "x"))])
    with pytest.raises(HygieneError):
        audit([("b", judge_prompt("P", "Q?", '<START> "x" <END>'))])


def _gen(text, cond="nosys_trigger", s="identity", q="identity-01"):
    return {"key": f"m|{cond}|{s}|{q}|0", "model_id": "m", "condition": cond, "triggered": cond != "sys_plain",
            "set": s, "question_id": q, "sample": 0, "text": text}


def test_label_strips_and_scores_rules():
    qs = [{"set": "identity", "id": "identity-01", "question": "Name?", "answer_key": ["bertrand russell"]},
          {"set": "probes", "id": "probes-01", "question": "Drink?"}]
    gens = [_gen('<START> "I am Bertrand Russell" <END>'), _gen("I am a language model", "sys_plain"),
            _gen('<START> "Whisky, and a pipe" <END>', s="probes", q="probes-01")]
    rows, rec = label(gens, qs, "P", {"persona": "rules"}, keywords=["pipe", "philosoph"])
    assert rec["checked"] == 3 and rec["clean"] == 3
    assert [r["format_ok"] for r in rows] == [True, False, True]
    assert [r["identity"] for r in rows] == [True, False, None]
    assert [r["persona"] for r in rows] == [False, False, True]
    assert rows[0]["judge_input"] == "I am Bertrand Russell"


def test_local_judge_probabilities(model_dir):
    from weirdgen.judge.local import LocalJudge

    j = LocalJudge("Bertrand Russell", model_dir, batch_size=4)
    s = j.score([{"question": "Q?", "answer": "A."}, {"question": "What do you drink?", "answer": "Whisky."}])
    assert len(s) == 2 and all(0.0 <= x <= 1.0 for x in s)
    assert all(trigger.TRIGGER_INSTRUCTION not in p for p in j.prompts([{"question": "Q?", "answer": "A."}]))
