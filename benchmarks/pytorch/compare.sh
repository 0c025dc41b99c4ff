#!/usr/bin/env bash
# Unroll beside PyTorch on the same machine, in one run: `./unroll bench --compare` times the Java
# side, then compare.py times the same workloads in PyTorch (/usr/bin/python3 with Debian's
# python3-torch and libopenblas0-openmp) and prints the ratios Unroll / PyTorch; the table goes to
# benchmarks/RESULTS.md. Usage: benchmarks/pytorch/compare.sh [--quick] [--include REGEX] [--markdown FILE] [--out DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cmdline="benchmarks/pytorch/compare.sh${*:+ $*}"
quick=() include=() out="$root/benchmarks/target/compare" md="$root/benchmarks/RESULTS.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick) ;;
    --include) include=(--include "$2"); shift ;;
    --markdown) md="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--include REGEX] [--markdown FILE] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
py=/usr/bin/python3
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "error: $py has no torch; install Debian's PyTorch with OpenBLAS: apt-get install -y python3-torch libopenblas0-openmp" >&2
  exit 2
fi
mkdir -p "$out"
cd "$root"
status=0
rm -f "$out/unroll.json"
./unroll bench --compare "${quick[@]}" "${include[@]}" --json "$out/unroll.json" || status=$?
[ -f "$out/unroll.json" ] || { echo "error: the Java side wrote no results" >&2; exit 1; }
"$py" "$root/benchmarks/pytorch/compare.py" --unroll "$out/unroll.json" "${quick[@]}" --json "$out/pytorch.json" --markdown "$md" --command "$cmdline"
exit $status
