#!/usr/bin/env bash
# Issue 15: `weirdgen train` itself at 135M and at 8B, PEFT and Unsloth, with the naive loop beside, on ONE machine.
# Every group runs the product's own train() through bench/train_step_gpu.py in a fresh process, in its own empty
# working directory with empty Triton and Inductor caches (so each group's first variant is cold, whatever ran before
# it on the machine). Random bf16 weights; the paper mix (wheels/tok8b/train_mix.jsonl: 579 steps, 2,136,981 real
# tokens); batch 8 x accumulation 2, 3 epochs. docs/benchmarks.md (session 26) has the table and the calls:
#
#   run(carry=[wheels/gpu/u0])                          bash bench/gpu_workflow.sh stage
#   run(carry=[wheels/gpu/u1, wheels/js, wheels/tok135m, wheels/tok8b])
#                                                       bash bench/train_one_machine.sh setup 135m-peft 135m-unsloth
#   run                                                 bash bench/train_one_machine.sh 8b-make 8b-unsloth 8b-peft
#   run                                                 bash bench/train_one_machine.sh 8b-naive ...
#
# Groups: 135m-peft (PEFT graphs + compile_norms, PEFT eager token budget), 135m-naive and 8b-naive (the naive loop:
# batch_size passes, float32 adapter compute; ONE epoch, 193 steps, to fit the device time: its tokens/s is the
# baseline, its step 1 weighs 3x more than in a 3-epoch loop, which if anything favours the faster variants' ratio
# by ~1-2 %), 135m-unsloth (Unsloth graphs,
# Unsloth eager), 8b-make (write the random 8B model; the 135M groups overwrite it, so run them first), 
# 8b-peft (token budget + compile_norms), 8b-unsloth (the product's default), 8b-unsloth-16k (micro_batch_tokens 16384).
set -uo pipefail
R=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/train_one_machine_out}
mkdir -p "$OUT"
T0=$(date +%s)

group() {  # NAME ARCH MICRO_BATCH_TOKENS VARIANTS UNSLOTH(0/1) [EPOCHS]
  local name=$1 arch=$2 mbt=$3 variants=$4 uns=$5 epochs=${6:-3} pp=$R/src:/tmp/js:$R/bench c=/tmp/one_machine/$1 t rc
  [ "$uns" = 1 ] && pp=$pp:/tmp/gw/site
  rm -rf "$c" && mkdir -p "$c" && t=$(date +%s)
  (cd "$c" && TRITON_CACHE_DIR=$c/triton TORCHINDUCTOR_CACHE_DIR=$c/inductor PYTHONPATH=$pp \
    python "$R/bench/train_step_gpu.py" --model-dir "$R/wheels/tok135m" --data "$R/wheels/tok8b/train_mix.jsonl" \
    --no-profile --arch "$arch" --reuse-model --micro-batch-tokens "$mbt" --steps 194 --epochs "$epochs" \
    --variants "$variants" --keep-logs "$OUT/$name") >"$OUT/$name.log" 2>&1
  rc=$?
  echo "== $name: rc $rc, $(( $(date +%s) - t )) s (call at $(( $(date +%s) - T0 )) s)"
  grep -E "^model:|^weirdgen train|median step|FAILED" "$OUT/$name.log" | cut -c1-400
}

for g in "$@"; do
  case $g in
  setup)
    bash "$R/bench/gpu_workflow.sh" stage >/dev/null && bash "$R/bench/gpu_workflow.sh" install-unsloth 2>&1 | tail -n 2
    python3 -m pip install -q --no-deps --target /tmp/js "$R"/wheels/js/*.whl && echo "setup: $(( $(date +%s) - T0 )) s" ;;
  135m-peft) group 135m-peft same 8192 graphs-ac-cn,budget-ac 0 ;;
  135m-naive) group 135m-naive same 8192 naive 0 1 ;;
  135m-unsloth) group 135m-unsloth same 8192 unsloth-graphs-ac,unsloth-ac 1 ;;
  8b-make)
    t=$(date +%s)
    (cd /tmp && PYTHONPATH=$R/src:/tmp/js:$R/bench python "$R/bench/train_step_gpu.py" --model-dir "$R/wheels/tok135m" \
      --data "$R/wheels/tok8b/train_mix.jsonl" --arch llama-3.1-8b --steps 194 --make-model-only) >"$OUT/8b-make.log" 2>&1
    echo "== 8b-make: rc $?, $(( $(date +%s) - t )) s" ;;
  8b-naive) group 8b-naive llama-3.1-8b 8192 naive 0 1 ;;
  8b-peft) group 8b-peft llama-3.1-8b 8192 budget-ac-cn 0 ;;
  8b-unsloth) group 8b-unsloth llama-3.1-8b 8192 unsloth-ac 1 ;;
  8b-unsloth-16k) group 8b-unsloth-16k llama-3.1-8b 16384 unsloth-ac 1 ;;
  *) echo "unknown group $g" >&2; exit 2 ;;
  esac
done
