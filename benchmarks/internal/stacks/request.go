package stacks

// Module paths of the code the stages name.
const (
	bifrost  = "github.com/bifrost-gw/bifrost/"
	fasthttp = "github.com/valyala/fasthttp."
	jsonscan = bifrost + "runtime/jsonscan."
)

// Request returns the stages of a chat completion through bifrost-http and through the raw
// proxy (bench-rawproxy), from the connection to the answer, plus the Go runtime's own work.
// A function that no stage names counts in the stage of its nearest caller that one does:
// fasthttp's request parsing in the HTTP server, the gateway's intake in the handler.
func Request() []Stage {
	return []Stage{
		{Name: "HTTP server: connections, parsing requests, writing answers (fasthttp)",
			Entries: []string{fasthttp + "(*Server).", fasthttp + "(*workerPool)."}},
		{Name: "handler: intake, routing, pools, the answer (the raw proxy: its whole handler)",
			Entries: []string{bifrost + "server.(*Server).handle", "main.", bifrost + "benchmarks/internal/rawproxy."}},
		{Name: "request scan: validate the body, find its members (jsonscan)",
			Entries: []string{jsonscan + "ScanRequest", jsonscan + "ScanResponsesRequest"}},
		{Name: "engine: target, key, slot, breaker, attempts",
			Entries: []string{bifrost + "runtime.(*Engine).", bifrost + "runtime.(*watcher)."}},
		{Name: "upstream request: body splice, URL, headers",
			Entries: []string{bifrost + "runtime.(*Engine).buildRequest", bifrost + "runtime.(*Call).setKey", jsonscan + "AppendRequest"}},
		{Name: "upstream exchange (fasthttp client)",
			Entries: []string{fasthttp + "(*Client).", fasthttp + "(*HostClient)."}},
		{Name: "answer scan: validate, usage, finish reason (jsonscan)",
			Entries: []string{jsonscan + "ScanOpenAI", jsonscan + "ScanAnthropic", jsonscan + "ScanResponses"}},
		{Name: "decode and encode (easyjson adapters)",
			Entries: []string{bifrost + "adapters", bifrost + "runtime/schemas.", "github.com/mailru/easyjson"}},
		{Name: "metrics",
			Entries: []string{bifrost + "server/metrics."}},
		{Name: "access line",
			Entries: []string{bifrost + "server.(*Server).logRequestAt", bifrost + "server.(*AccessLog)."}},
		{Name: "Go runtime: scheduler, sysmon, stack growth, collector",
			Entries: []string{"runtime.mcall", "runtime.mstart", "runtime.sysmon", "runtime.morestack", "runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge"}},
	}
}
