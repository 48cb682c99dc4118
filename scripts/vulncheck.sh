#!/usr/bin/env bash
# Runs govulncheck on the module against the Go vulnerability database, built locally from the
# golang.org/x/vulndb module (which carries every report as OSV JSON), so that it works where
# only the Go module proxy is reachable. VULNDB_VERSION pins the database; GOVULNCHECK_VERSION
# pins the tool.
set -euo pipefail
cd "$(dirname "$0")/.."
vulndb="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
tool="${GOVULNCHECK_VERSION:-latest}"
dir="$(go mod download -json "golang.org/x/vulndb@${vulndb}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ -z "$dir" ] || [ ! -d "$dir/data/osv" ]; then
  echo "vulncheck: cannot get golang.org/x/vulndb@${vulndb}" >&2
  exit 1
fi
db="$(mktemp -d)"
trap 'rm -rf "$db"' EXIT
# indexdb lays the reports out as the database protocol wants (index/db.json,
# index/modules.json, ID/<id>.json).
(cd "$dir" && GOFLAGS=-mod=mod go run ./cmd/indexdb -vulns data/osv -out "$db")
echo "vulncheck: database golang.org/x/vulndb@${vulndb} ($(ls "$dir/data/osv" | wc -l) reports)"
go run "golang.org/x/vuln/cmd/govulncheck@${tool}" -db "file://$db" ./...
