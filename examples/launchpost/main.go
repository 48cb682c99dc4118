// Command launchpost is the launch post's "Using Bifrost as a Go Package" code, copied as it
// stands with only the import paths changed (github.com/maximhq/bifrost/core becomes
// github.com/bifrost-gw/bifrost/core; the Maxim plugin is a local stand-in). Lines marked
// "added" are not in the post: they use the results that the post leaves unused.
//
//	OPENAI_API_KEY=sk-... go run ./examples/launchpost
package main

import (
	"context"
	"fmt"
	"os"

	bifrost "github.com/bifrost-gw/bifrost/core"
	"github.com/bifrost-gw/bifrost/core/schemas"
	"github.com/bifrost-gw/bifrost/examples/launchpost/maxim"
)

type BaseAccount struct{}

func (baseAccount *BaseAccount) GetConfiguredProviders() ([]schemas.ModelProvider, error) {
	return []schemas.ModelProvider{schemas.OpenAI}, nil
}

func (baseAccount *BaseAccount) GetKeysForProvider(providerKey schemas.ModelProvider) ([]schemas.Key, error) {
	return []schemas.Key{
		{
			Value:  os.Getenv("OPENAI_API_KEY"),
			Models: []string{"gpt-4o-mini"},
		},
	}, nil
}

func (baseAccount *BaseAccount) GetConfigForProvider(providerKey schemas.ModelProvider) (*schemas.ProviderConfig, error) {
	return &schemas.ProviderConfig{
		NetworkConfig:            schemas.DefaultNetworkConfig,
		ConcurrencyAndBufferSize: schemas.DefaultConcurrencyAndBufferSize,
	}, nil
}

// firstCall is the post's "Initialize Bifrost" and "Use Bifrost" steps.
func firstCall() (*schemas.BifrostResponse, *schemas.BifrostError, error) {
	account := BaseAccount{}
	client, err := bifrost.Init(schemas.BifrostConfig{
		Account: &account,
	})
	if err != nil { // added
		return nil, nil, err // added
	} // added
	defer client.Cleanup() // added

	bifrostResult, bifrostErr := client.ChatCompletionRequest(
		context.Background(),
		&schemas.BifrostRequest{
			Provider: schemas.OpenAI,
			Model:    "gpt-4o-mini", // make sure you have configured gpt-4o-mini in your account interface
			Input: schemas.RequestInput{
				ChatCompletionInput: bifrost.Ptr([]schemas.Message{{
					Role:    schemas.RoleUser,
					Content: bifrost.Ptr("What is a LLM gateway?"),
				}}),
			},
		},
	)
	// you can add model parameters by passing them in Params: &schemas.ModelParameters{...yourParams} in ChatCompletionRequest.
	return bifrostResult, bifrostErr, nil // added
}

// withPlugin is the post's "Bonus" step: the same call with the Maxim plugin.
func withPlugin() (*maxim.Plugin, *schemas.BifrostResponse, *schemas.BifrostError, error) {
	account := BaseAccount{}
	maximPlugin, err := maxim.NewMaximLoggerPlugin(os.Getenv("MAXIM_API_KEY"), os.Getenv("MAXIM_LOG_REPO_ID"))
	client, err := bifrost.Init(schemas.BifrostConfig{
		Account: &account,
		Plugins: []schemas.Plugin{maximPlugin},
	})
	if err != nil { // added
		return nil, nil, nil, err // added
	} // added
	defer client.Cleanup() // added

	bifrostResult, bifrostErr := client.ChatCompletionRequest(
		context.Background(),
		&schemas.BifrostRequest{
			Provider: schemas.OpenAI,
			Model:    "gpt-4o-mini", // make sure you have configured gpt-4o-mini in your account interface
			Input: schemas.RequestInput{
				ChatCompletionInput: bifrost.Ptr([]schemas.Message{{
					Role:    schemas.RoleUser,
					Content: bifrost.Ptr("What is a LLM gateway?"),
				}}),
			},
		},
	)
	return maximPlugin, bifrostResult, bifrostErr, nil // added
}

func main() {
	res, berr, err := firstCall()
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "launchpost:", err)
		os.Exit(1)
	case berr != nil:
		fmt.Fprintln(os.Stderr, "launchpost:", berr.Error.Message)
		os.Exit(1)
	}
	fmt.Println(*res.Choices[0].Message.Content)
}
