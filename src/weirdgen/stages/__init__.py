"""Workflow stages: one module per stage, each with ``run(params, *, <inputs>, <outputs>)``.

``params`` is the stage's slice of the validated config (as the rule passes it); every input and output
is a path. The CLI (``weirdgen <stage>``) only parses arguments and calls ``run``; rules call the CLI, and
so can a user, or Python: ``from weirdgen.stages import distill; distill.run(params, model=..., ...)``.
Each stage imports only what it uses, so the workflow can derive a rule's code dependencies from the
stage module's import closure (``weirdgen.codedeps``).
"""
