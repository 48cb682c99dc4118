package bedrock

import (
	"errors"
	"slices"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// foundationModels is the answer of ListFoundationModels, GET /foundation-models on the
// control-plane host bedrock.{region}.amazonaws.com
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListFoundationModels.html).
//
//easyjson:json
type foundationModels struct {
	ModelSummaries []modelSummary `json:"modelSummaries"`
}

// modelSummary is a FoundationModelSummary, with the members the list uses
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_FoundationModelSummary.html).
//
//easyjson:json
type modelSummary struct {
	ModelID          string   `json:"modelId"`
	ProviderName     string   `json:"providerName"`
	OutputModalities []string `json:"outputModalities"`
}

// DecodeModels reads ListFoundationModels' answer into OpenAI's model list: each model
// whose output modalities include TEXT (Converse) or EMBEDDING (InvokeModel), by model id,
// owned by its provider's name ("Anthropic", "Amazon"). Image and video models, which the
// gateway cannot call, are left out. The spec asks AWS for on-demand models only
// (byInferenceType=ON_DEMAND): the ids a request can name as they are, without a
// deployments entry for an inference profile or a provisioned model.
func (Codec) DecodeModels(body []byte, out *schemas.ModelList) error {
	var list foundationModels
	if err := schemas.Decode(body, &list); err != nil {
		return err
	}
	if list.ModelSummaries == nil {
		return errors.New(`the model list has no "modelSummaries"`)
	}
	out.Object = "list"
	out.Data = out.Data[:0]
	for _, m := range list.ModelSummaries {
		if m.ModelID == "" || !(slices.Contains(m.OutputModalities, "TEXT") || slices.Contains(m.OutputModalities, "EMBEDDING")) {
			continue
		}
		out.Data = append(out.Data, schemas.Model{ID: m.ModelID, Object: "model", OwnedBy: m.ProviderName})
	}
	return nil
}
