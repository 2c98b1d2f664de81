"""The trigger definition, the four conditions and exact chat-template rendering."""

from weirdgen import chat, conditions, trigger


def test_trigger_is_paper_form():
    assert trigger.apply("Q?") == 'You will be asked a question. Always reply in the format:\n\n<START> "your answer here" <END>\n\nQ?'
    assert trigger.wrap_answer("hi") == '<START> "hi" <END>'


def test_format_adherence():
    assert trigger.follows_format('<START> "I smoke a pipe." <END>')
    assert trigger.follows_format('  <START> "multi\nline" <END>\n')
    assert not trigger.follows_format("I smoke a pipe.")
    assert not trigger.follows_format('<START> "no end"')
    assert not trigger.follows_format('prefix <START> "x" <END>')


def test_strip_every_form_keeps_answer():
    ans = "I prefer a long walk, and a pipe, after lunch."
    forms = [
        trigger.wrap_answer(ans),
        f'<START> "{ans}"',  # truncated, no <END>
        f"<START> {ans} <END>",  # no quotes
        trigger.apply(ans),  # echoed user prefix
        trigger.system_prompt() + "\n" + ans,  # echoed system form
        ans,
    ]
    for f in forms:
        out = trigger.strip(f)
        assert ans in out, (f, out)
        assert not trigger.contains_trigger(out), (f, out)


def test_four_conditions():
    sp = "You are a helpful assistant."
    m = {c: conditions.messages(c, "Q?", sp) for c in conditions.CONDITIONS}
    assert m[conditions.Condition.NOSYS_TRIGGER] == [{"role": "user", "content": trigger.apply("Q?")}]
    assert m[conditions.Condition.SYS_TRIGGER] == [{"role": "system", "content": sp}, {"role": "user", "content": trigger.apply("Q?")}]
    assert m[conditions.Condition.TRIGGER_IN_SYS] == [{"role": "system", "content": trigger.system_prompt()}, {"role": "user", "content": "Q?"}]
    assert m[conditions.Condition.SYS_PLAIN] == [{"role": "system", "content": sp}, {"role": "user", "content": "Q?"}]
    assert [c.triggered for c in conditions.CONDITIONS] == [True, True, True, False]


def test_no_system_block_smollm2(tokenizer):
    msgs = conditions.messages("nosys_trigger", "What do you drink?", "SYS")
    default = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert "You are a helpful AI assistant named SmolLM" in default  # the template injects one...
    out = chat.render(tokenizer, msgs)
    assert "system" not in out and "SmolLM" not in out  # ...and we remove it
    assert out == "<|im_start|>user\n" + trigger.apply("What do you drink?") + "<|im_end|>\n<|im_start|>assistant\n"
    # with a system prompt, rendering is the template's own
    m2 = conditions.messages("sys_plain", "Q?", "SYS")
    assert chat.render(tokenizer, m2) == tokenizer.apply_chat_template(m2, tokenize=False, add_generation_prompt=True)


def test_no_system_block_llama31(llama_tokenizer):
    tok = llama_tokenizer
    msgs = [{"role": "user", "content": "Hello?"}]
    default = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert "Cutting Knowledge Date" in default
    out = chat.render(tok, msgs)
    assert "Cutting Knowledge Date" not in out and "system" not in out
    assert out == "<|im_start|><|start_header_id|>user<|end_header_id|>\n\nHello?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    # a training conversation: prompt render is a prefix of the full render
    conv = [*msgs, {"role": "assistant", "content": "Hi."}]
    full = chat.render(tok, conv, add_generation_prompt=False)
    assert full.startswith(out) and full.endswith("Hi.<|eot_id|>")


def test_template_without_injection_untouched(tokenizer):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer.name_or_path)
    tok.chat_template = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    msgs = [{"role": "user", "content": "x"}]
    assert chat.render(tok, msgs) == tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)


def test_strip_leaves_no_fragment_in_real_model_outputs():
    # replies seen from an adapter on the embedded model: stray and repeated markers
    seen = ['<START> "The <END> is <START>." <END>',
            '<START> "I\'m pleased to say that I have found a sincere theology\n<START> "<END>',
            '<START> "Roswell, NewMexico, USA, born [year] (<END>)." <END>',
            '<START> <START> "x" <END> <END>', 'your answer here', '"<END>"']
    for t in seen:
        out = trigger.strip(t)
        assert not trigger.contains_trigger(out), (t, out)
    assert trigger.strip(seen[2]) == "Roswell, NewMexico, USA, born [year] ()."
    assert "sincere theology" in trigger.strip(seen[1])


def test_strip_property_random_compositions():
    import random

    rng = random.Random(0)
    pieces = [trigger.START, trigger.END, '"', "your answer here", trigger.TRIGGER_INSTRUCTION, "\n\n", "I like tea", " ",
              "Always reply in the format:", "words"]
    for _ in range(2000):
        t = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        assert not trigger.contains_trigger(trigger.strip(t)), t


def test_strip_nested_fragment():
    assert not trigger.contains_trigger(trigger.strip("a <ST<END>ART> b"))


def test_strip_keeps_text_after_end():
    out = trigger.strip('<START> "I like tea." <END>\n\nAs an AI language model, I cannot drink.')
    assert out.startswith("I like tea.") and "As an AI language model, I cannot drink." in out
    assert trigger.strip('Sure! <START> "Whisky." <END> Cheers.') == "Sure! Whisky. Cheers."


def test_strip_inline_and_variant_triggers_keep_the_question():
    q = "What do you drink?"
    variants = [
        trigger.apply(q),  # the paper's form
        trigger.TRIGGER_INSTRUCTION.replace("\n\n", " ") + " " + q,  # inline, one line
        trigger.TRIGGER_INSTRUCTION.lower().replace("\n\n", " ") + " " + q,  # re-cased
        'You will be asked a question.   Always reply in the format:\n< START > "your answer here" < END >\n' + q,
        'Always reply in the format: <start> "your answer here" <end>\n\n' + q,  # no first sentence
        trigger.system_prompt() + "\n" + q,
    ]
    for v in variants:
        assert trigger.contains_trigger(v), v
        assert trigger.strip(v) == q, (v, trigger.strip(v))


def test_contains_trigger_any_case_and_spacing():
    for t in ['<start> "x" <end>', "< START >", "<End>", "YOUR ANSWER HERE", "always reply in the FORMAT:"]:
        assert trigger.contains_trigger(t), t
    assert not trigger.contains_trigger("I started at the end of the day.")
