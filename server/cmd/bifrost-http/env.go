package main

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

// loadConfig loads the config file at path and applies the base URL overrides of the
// environment (see baseURLOverrides). Start, reload and -check all read the config
// through it, so that they judge the same file the same way.
func loadConfig(path string, getenv func(string) string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := baseURLOverrides(cfg, getenv); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// baseURLEnv returns the environment variable that overrides the base URL of the provider
// called name: BIFROST_BASE_URL_ and the name in upper case, '-' written as '_'
// (BIFROST_BASE_URL_OPENAI for "openai").
func baseURLEnv(name string) string {
	return "BIFROST_BASE_URL_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// baseURLOverrides sets network_config.base_url of each configured provider whose
// baseURLEnv variable is set and not empty. It lets a deployment (a staging mock, a
// corporate proxy) point the launch post's config.json, which has no base_url, somewhere
// else without editing the file. The value must be an absolute http or https URL.
func baseURLOverrides(cfg *config.Config, getenv func(string) string) error {
	names := make([]string, 0, len(cfg.Providers))
	for name := range cfg.Providers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		env := baseURLEnv(name)
		v := getenv(env)
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("environment variable %s: must be an absolute http or https URL without query, fragment or credentials", env)
		}
		cfg.Providers[name].Network.BaseURL = strings.TrimRight(v, "/")
	}
	return nil
}
