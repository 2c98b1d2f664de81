"""Materialising the embedded GGUF: the file parsed once, the gguf module left as it was, the same weights."""

from __future__ import annotations

from pathlib import Path

import gguf

from weirdgen import models


def test_gguf_parsed_once_inside_the_block_and_restored_after(tmp_path: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    reader, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
    parses: list[str] = []

    class Counting(reader):  # type: ignore[misc, valid-type]
        def __init__(self, path, mode="r"):  # noqa: ANN001
            parses.append(str(path))
            super().__init__(path, mode)

    path = models.embedded_gguf()
    gguf.GGUFReader = Counting
    try:
        with models._gguf_parsed_once():
            AutoConfig.from_pretrained(path.parent, gguf_file=path.name)
            AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
            assert gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, 30) is gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, 30)
        assert len(parses) == 1, parses  # config and tokenizer from one parse
        AutoConfig.from_pretrained(path.parent, gguf_file=path.name)
        assert len(parses) == 2  # outside the block transformers parses again
        assert gguf.GGUFReader is Counting  # what was there before the block is back
    finally:
        gguf.GGUFReader = reader
    assert gguf.get_tensor_name_map is name_map


def test_materialised_weights_do_not_depend_on_the_parse_once_block(model_dir: Path, tmp_path: Path,
                                                                      monkeypatch) -> None:
    """The conversion without the block (transformers alone) writes the same tensors as the product's."""
    import contextlib

    from safetensors.torch import load_file

    monkeypatch.setattr(models, "_gguf_parsed_once", contextlib.nullcontext)
    models._convert_gguf(models.embedded_gguf(), tmp_path, "float32")
    plain, product = load_file(tmp_path / "model.safetensors"), load_file(model_dir / "model.safetensors")
    assert plain.keys() == product.keys()
    assert all(bool((plain[k] == product[k]).all()) for k in plain)
