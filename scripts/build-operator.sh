#!/usr/bin/env bash
# Builds the operator as it ships and prints the binary's path: the `operator` profile (built for
# size, see the root Cargo.toml) and a position-dependent executable.
#
# Why position-dependent: a position-independent Rust binary carries about 1.2 MB of relocations
# and 1.4 MB of pointer tables (`.data.rel.ro`) that the loader rewrites at every start, so all of
# it is resident, private memory; built with `-C relocation-model=static` the tables are plain
# read-only data, paged in only where read. An operator holding 1,000 resources takes about 3 MB
# less. The image loses address-space randomisation of its own code, as Go controllers built with
# the default `go build` (non-PIE on linux/amd64) do; shared libraries, stack and heap stay
# randomised.
#
# The flag must reach only the target's crates (proc macros and build scripts are shared
# objects), so the build names the host triple as its target explicitly.
#
#   scripts/build-operator.sh [extra cargo flags, e.g. --locked]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
triple="$(rustc -vV | sed -n 's/^host: //p')"
RUSTFLAGS="${RUSTFLAGS:-} -C relocation-model=static" \
  cargo build --profile operator --target "$triple" -p vexfs-operator --bin vexfs-operator "$@" >&2
echo "$root/target/$triple/operator/vexfs-operator"
