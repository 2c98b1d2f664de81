#!/usr/bin/env bash
# Carry vLLM to a GPU machine that has torch but no network, in parts small enough for one transfer each.
#
#   bench/vllm_carry.sh pack   DIR   # here (with PyPI): vllm 0.23.0 (the last release pinning torch 2.11.0,
#                                    #   the device's torch) trimmed to what a Hopper card runs, xz-compressed and
#                                    #   split into DIR/p1..pN (< 40 MB each), and the py3.12 wheels it imports
#                                    #   that the device lacks, in DIR/deps
#   bench/vllm_carry.sh unpack DIR SITE   # there: join the parts carried so far (DIR/../p*) and install into SITE
#
# Trimmed: the FlashAttention-2 build (Hopper runs FA3), the MoE kernels (dense Llama only), the Rust frontend
# binary, DeepGEMM headers and builds for other Pythons. flashinfer, tilelang, cutlass-dsl and other optional
# kernel packages are not carried: vLLM imports them lazily and falls back (PyTorch sampler, FA3 attention), except
# the sampler's support check, which imports flashinfer: weirdgen's vLLM backend sets VLLM_USE_FLASHINFER_SAMPLER=0 when
# flashinfer is absent (since session 17; H100, 2026-11-28); set it yourself for other vLLM entry points.
set -euo pipefail
mode=${1:?pack|unpack}; dir=${2:?DIR}
case $mode in
pack)
  mkdir -p "$dir/deps" "$dir/x"
  plat=(--only-binary=:all: --python-version 3.12 --implementation cp)
  for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_26_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
           manylinux2014_x86_64 manylinux_2_31_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64; do plat+=(--platform "$p"); done
  python3 -m pip download -q --no-deps "${plat[@]}" -d "$dir/x" vllm==0.23.0
  python3 -m pip download -q --no-deps "${plat[@]}" -d "$dir/deps" \
    pydantic==2.14.4 pydantic-core==2.50.5 typing-inspection annotated-types cbor2 pyzmq "gguf>=0.17" openai-harmony \
    openai==2.54.0 jiter sniffio distro msgspec pybase64 cachetools "fastapi==0.136.3" starlette partial-json-parser \
    setproctitle blake3 depyf==0.20.0 astor dill compressed-tensors==0.17.0 loguru "llguidance>=1.7,<1.8" \
    xgrammar==0.2.8 apache-tvm-ffi==0.1.11
  (cd "$dir/x" && unzip -q -o vllm-0.23.0-*.whl && rm vllm-0.23.0-*.whl &&
   rm -rf vllm/vllm_flash_attn/_vllm_fa2_C.abi3.so vllm/_moe_C.abi3.so vllm/vllm-rs vllm/third_party/deep_gemm/include \
          vllm/third_party/deep_gemm/_C.cpython-31[0134]-x86_64-linux-gnu.so &&
   tar -cf - vllm vllm-0.23.0.dist-info | xz -9e -T2 | split -b 38M -d - ../p)
  rm -rf "$dir/x"; ls -la "$dir" "$dir/deps" ;;
unpack)
  site=${3:?SITE}; mkdir -p "$site"
  cat "$dir"/p[0-9]* | python3 -c "import sys, tarfile; tarfile.open(fileobj=sys.stdin.buffer, mode='r|xz').extractall(sys.argv[1])" "$site"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "$dir"/deps/*.whl
  PYTHONPATH=$site python3 -c "import vllm, sys; print('vllm', vllm.__version__, 'from', vllm.__file__)" ;;
*) echo "mode: pack or unpack" >&2; exit 2 ;;
esac
