package main

import (
	"fmt"
	"os"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// loadConfig reads and parses the config file at path (as config.Load does), applies the
// base URL overrides of the environment (config.ApplyBaseURLEnv: BIFROST_BASE_URL_OPENAI and
// so on), and returns the config with the hash of the file's content. The adapters' key
// config declarations (azure_key_config and the like) are checked with the rest of the
// file. Start, reload and -check all read the config through it, so that they judge a file
// the same way.
func loadConfig(path string, getenv func(string) string) (*config.Config, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("config: %w", err)
	}
	cfg, err := config.Parse(path, data, getenv, config.WithAdapters(adapters.All()))
	if err != nil {
		return nil, "", err
	}
	if err := config.ApplyBaseURLEnv(cfg, getenv); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return cfg, contentHash(data), nil
}
