package main

import (
	"fmt"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

// loadConfig loads the config file at path and applies the base URL overrides of the
// environment (config.ApplyBaseURLEnv: BIFROST_BASE_URL_OPENAI and so on). Start, reload
// and -check all read the config through it, so that they judge a file the same way.
func loadConfig(path string, getenv func(string) string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := config.ApplyBaseURLEnv(cfg, getenv); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}
