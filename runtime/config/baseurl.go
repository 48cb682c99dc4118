package config

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// BaseURLEnv returns the environment variable that overrides the base URL of the provider
// called name: BIFROST_BASE_URL_ and the name in upper case, with '-' written as '_'
// (BIFROST_BASE_URL_OPENAI for "openai").
func BaseURLEnv(name string) string {
	return "BIFROST_BASE_URL_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// ApplyBaseURLEnv sets Network.BaseURL of each provider of cfg whose [BaseURLEnv] variable
// is set and not empty, as read by getenv. It lets a deployment (a staging mock, an
// internal mirror) point a config that has no base_url, such as the launch post's
// config.json, somewhere else without editing it. The value must be an absolute http or
// https URL without query, fragment or credentials; the error names the variable, never
// its value.
func ApplyBaseURLEnv(cfg *Config, getenv func(string) string) error {
	names := make([]string, 0, len(cfg.Providers))
	for name := range cfg.Providers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		env := BaseURLEnv(name)
		v := getenv(env)
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("environment variable %s: must be an absolute http or https URL without query, fragment or credentials", env)
		}
		cfg.Providers[name].Network.BaseURL = strings.TrimRight(v, "/")
	}
	return nil
}
