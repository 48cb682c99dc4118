package schemas

// ModelList is the answer to GET /v1/models (object "list").
//
//easyjson:json
type ModelList struct {
	Object string  `json:"object"`
	Data   []Model `json:"data"`
	Extras
}

// Model describes one model.
//
//easyjson:json
type Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
	Extras
}
