// Package litellm holds the pinned LiteLLM proxy release that `make bench PEERS=litellm`
// installs: requirements.in names it and says why that version, requirements.txt is the
// hashed lock generated from it (pip-compile --generate-hashes), installed with
// `pip install --require-hashes`.
package litellm

import (
	_ "embed"
)

// Version is the litellm[proxy] release pinned in requirements.in.
const Version = "1.108.7"

// Requirements is the hashed lock of litellm[proxy]==Version and every dependency.
//
//go:embed requirements.txt
var Requirements []byte
