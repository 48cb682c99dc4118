// Package corpus holds the provider golden corpus: one folder per provider under testdata/,
// one folder per case, each checked against the provider's documentation page that the case
// names. Its test runs every case through the gateway's real server handler, runtime and
// adapter, against an in-memory provider that records the exact request it gets (URL,
// headers, body) and answers with the case's recorded provider response.
//
// A case folder holds:
//
//	case.json                       what the case covers, the doc page, the provider config
//	request.json                    the client's OpenAI-shaped request body
//	upstream_response.{json,sse,bin} the provider's answer, from its documentation
//	upstream_request.golden         the exact request the provider got (written by -update)
//	response.golden                 the exact answer the client got (written by -update)
//
// `go test ./adapters/corpus -update` rewrites the golden files; review their diff against
// the documentation before committing it.
package corpus
