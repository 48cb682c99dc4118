// Package plugins builds the engine plugins that a config file's "plugins" list names.
//
// Known plugins:
//   - "cache": the exact-match response cache (package plugins/cache).
package plugins

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/bifrost-gw/bifrost/governance/redisstore"
	"github.com/bifrost-gw/bifrost/plugins/cache"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// Build makes the enabled plugins of cfgs, in order. Errors name the config path of the
// problem ("plugins[0].config.ttl_seconds: ..."). log, if not nil, is given to plugins that
// log.
func Build(cfgs []config.Plugin, log *slog.Logger) ([]runtime.Plugin, error) {
	var out []runtime.Plugin
	for i, pc := range cfgs {
		path := "plugins[" + strconv.Itoa(i) + "]"
		if !pc.Enabled {
			continue
		}
		switch pc.Name {
		case cache.Name:
			cc, err := cache.FromConfig(pc.Config)
			if err != nil {
				return nil, fmt.Errorf("%s.config.%w", path, err)
			}
			if log != nil {
				cc.Logger = log.With("plugin", cache.Name)
			}
			if cc.RedisURL != "" {
				st, err := redisstore.NewCache(cc.RedisURL, "", cc.RedisTimeout)
				if err != nil {
					return nil, fmt.Errorf("%s.config.redis_url: %w", path, err)
				}
				cc.Store = st
			}
			out = append(out, cache.New(cc))
		default:
			return nil, fmt.Errorf("%s.name: unknown plugin %q (known: %s)", path, pc.Name, cache.Name)
		}
	}
	return out, nil
}
