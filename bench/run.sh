#!/usr/bin/env bash
# Quality harnesses: NAB (scorer check, engine detector, River HalfSpaceTrees), PrefixSpan parity with
# PyPI `prefixspan`, next-event prediction against PyPI `cpt`. Installs the Python peers into a venv
# under ~/.cache; reads the public data from ../shared/data (override with VEXFS_DATA).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${VEXFS_DATA:-../shared/data}
VENV=${VEXFS_BENCH_VENV:-$HOME/.cache/vexfs-bench/venv}
OUT=${VEXFS_BENCH_OUT:-target/bench-results}

if [ ! -d "$DATA/nab" ] || [ ! -d "$DATA/sequences" ]; then
  echo "public data not found under $DATA (expected nab/ and sequences/)" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  PY=$(command -v python3.11 || command -v python3)
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
cargo build --release --quiet -p vexfs-engine --bin vexfs-nab --bin vexfs-seqbench
mkdir -p "$OUT"

echo "== NAB: published detectors re-scored, engine series detector, River HalfSpaceTrees"
rate=$("$VENV/bin/python" bench/nab_river.py "$DATA/nab" "$OUT/nab-river")
target/release/vexfs-nab --nab "$DATA/nab" --external "$OUT/nab-river" \
  --external-name river:HalfSpaceTrees --external-rate "$rate"

echo "== Sequential patterns: engine PrefixSpan vs PyPI prefixspan"
target/release/vexfs-seqbench --data "$DATA/sequences" --out "$OUT/seq" > "$OUT/seq.jsonl"
"$VENV/bin/python" bench/prefixspan_peer.py "$DATA/sequences" "$OUT/seq" < "$OUT/seq.jsonl"

echo "== Next event: engine variable-order Markov model vs PyPI cpt"
"$VENV/bin/python" bench/cpt_peer.py "$DATA/sequences" < "$OUT/seq.jsonl"
