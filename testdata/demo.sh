#!/usr/bin/env bash
# The demo behind `make demo`: convert the demo rules, then run the
# suspicious app without and with them. Expects `make build` to have run
# (its binaries in BIN, default bin).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-bin}
# Headings in bold on a terminal; plain text into a pipe, a file, or with NO_COLOR set.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	rule() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	rule() { printf '\n== %s\n' "$*"; }
fi

rule "The rules (testdata/demo.yaml)"
cat testdata/demo.yaml

rule "oci-sbx convert testdata/demo.yaml   (the rules as OCI linux.seccomp JSON)"
"$bin/oci-sbx" convert testdata/demo.yaml

rule "Without a sandbox: $bin/suspicious-app"
"$bin/suspicious-app" || true

rule "Sandboxed: oci-sbx exec --report --profile testdata/demo.yaml -- $bin/suspicious-app"
"$bin/oci-sbx" exec --report --profile testdata/demo.yaml -- "$bin/suspicious-app" || true

