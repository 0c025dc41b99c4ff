#!/usr/bin/env bash
# Unroll beside PyTorch on the same machine, in one run: `./unroll bench --compare` times the Java
# side, then compare.py times the same workloads in PyTorch (/usr/bin/python3 with Debian's
# python3-torch and libopenblas0-openmp) and prints the ratios Unroll / PyTorch; the table goes to
# benchmarks/RESULTS.md.
#
# PyTorch's CPU allocator hands large blocks back to the kernel after each use, so every call of a
# workload with large temporaries (per-example gradients: about 1 GB) faults its pages in afresh,
# while the JVM reuses its heap. Where first-touch page faults are slow (virtual machines that back
# guest memory lazily) that alone costs PyTorch seconds per call. So that the comparison is of
# computation, PyTorch runs with jemalloc keeping freed memory (Debian's libjemalloc2) when it is
# installed; --glibc-malloc runs it with the default allocator instead. The choice is stated in the table.
#
# Usage: benchmarks/pytorch/compare.sh [--quick] [--include REGEX] [--markdown FILE] [--out DIR] [--glibc-malloc]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cmdline="benchmarks/pytorch/compare.sh${*:+ $*}"
quick=() include=() out="benchmarks/target/compare" md="benchmarks/RESULTS.md" glibc=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick) ;;
    --include) include=(--include "$2"); shift ;;
    --markdown) md="$2"; shift ;;
    --out) out="$2"; shift ;;
    --glibc-malloc) glibc=1 ;;
    *) echo "usage: $0 [--quick] [--include REGEX] [--markdown FILE] [--out DIR] [--glibc-malloc]" >&2; exit 2 ;;
  esac
  shift
done
py=/usr/bin/python3
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "error: $py has no torch; install Debian's PyTorch with OpenBLAS: apt-get install -y python3-torch libopenblas0-openmp" >&2
  exit 2
fi
# Paths relative to the repository root unless given absolute (they are printed in RESULTS.md).
cd "$root"
mkdir -p "$out"
status=0
rm -f "$out/unroll.json"
./unroll bench --compare "${quick[@]}" "${include[@]}" --json "$out/unroll.json" || status=$?
[ -f "$out/unroll.json" ] || { echo "error: the Java side wrote no results" >&2; exit 1; }
jemalloc=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -1 || true)
env=()
if [ -z "$glibc" ]; then
  if [ -n "$jemalloc" ]; then
    env=(LD_PRELOAD="$jemalloc" MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1)
  else
    echo "warning: libjemalloc2 is not installed (apt-get install -y libjemalloc2); PyTorch runs with glibc malloc" >&2
  fi
fi
env "${env[@]}" "$py" "$root/benchmarks/pytorch/compare.py" --unroll "$out/unroll.json" "${quick[@]}" --json "$out/pytorch.json" --markdown "$md" --command "$cmdline"
exit $status
