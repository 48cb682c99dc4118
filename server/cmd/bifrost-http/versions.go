package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

// configVersion is one applied configuration: what the admin history endpoint shows, and
// the parsed config that a rollback applies again. It never shows a secret: the changes
// name providers and keys, and give limits, but no key value.
type configVersion struct {
	// Version counts the configs applied since the start, from 1.
	Version int `json:"version"`
	// Hash is the first 12 hex digits of the SHA-256 of the config file's bytes.
	Hash string `json:"hash"`
	// AppliedAt is when the config started serving.
	AppliedAt time.Time `json:"applied_at"`
	// Source is "start", "reload" or "rollback to N".
	Source string `json:"source"`
	// Changes says what changed from the version before, one item each.
	Changes []string `json:"changes"`

	cfg *config.Config
}

// contentHash returns the hash that identifies a config file's content.
func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:6])
}

// versionLog keeps the last applied configs. It is not safe for concurrent use: the
// reloader's mutex guards it.
type versionLog struct {
	keep int              // most versions kept, at least 1
	last int              // the newest version number
	list []*configVersion // oldest first
}

// add records cfg as the newest version and returns it.
func (l *versionLog) add(cfg *config.Config, hash, source string, now time.Time) *configVersion {
	var prev *config.Config
	if cur := l.current(); cur != nil {
		prev = cur.cfg
	}
	l.last++
	v := &configVersion{Version: l.last, Hash: hash, AppliedAt: now.UTC(), Source: source,
		Changes: diffConfigs(prev, cfg), cfg: cfg}
	l.list = append(l.list, v)
	if over := len(l.list) - max(l.keep, 1); over > 0 {
		l.list = slices.Delete(l.list, 0, over)
	}
	return v
}

// current returns the serving version, or nil before the first.
func (l *versionLog) current() *configVersion {
	if len(l.list) == 0 {
		return nil
	}
	return l.list[len(l.list)-1]
}

// find returns the kept version n, or nil.
func (l *versionLog) find(n int) *configVersion {
	for _, v := range l.list {
		if v.Version == n {
			return v
		}
	}
	return nil
}

// diffConfigs describes what changed from prev to next: providers added and removed, keys
// by name, limits and client settings. prev nil describes next as a first version.
func diffConfigs(prev, next *config.Config) []string {
	var out []string
	if prev == nil {
		for _, name := range sortedKeys(next.Providers) {
			out = append(out, fmt.Sprintf("provider %s: %d keys (%s)", name, len(next.Providers[name].Keys), keyNames(next.Providers[name].Keys)))
		}
		return out
	}
	for _, name := range sortedKeys(next.Providers) {
		p, old := next.Providers[name], prev.Providers[name]
		if old == nil {
			out = append(out, fmt.Sprintf("provider %s added: %d keys (%s)", name, len(p.Keys), keyNames(p.Keys)))
			continue
		}
		out = append(out, diffKeys(name, old.Keys, p.Keys)...)
		out = appendChange(out, name+".concurrency", old.Concurrency.Concurrency, p.Concurrency.Concurrency)
		out = appendChange(out, name+".buffer_size", old.Concurrency.BufferSize, p.Concurrency.BufferSize)
		out = appendChange(out, name+".max_retries", old.Network.MaxRetries, p.Network.MaxRetries)
		out = appendChange(out, name+".request_timeout", old.Network.DefaultRequestTimeout, p.Network.DefaultRequestTimeout)
		out = appendChange(out, name+".base_url", old.Network.BaseURL, p.Network.BaseURL)
		if old.Breaker != p.Breaker {
			out = append(out, name+".circuit_breaker changed")
		}
		if (old.Proxy == nil) != (p.Proxy == nil) || old.Proxy != nil && p.Proxy != nil && *old.Proxy != *p.Proxy {
			out = append(out, name+".proxy_config changed")
		}
	}
	for _, name := range sortedKeys(prev.Providers) {
		if next.Providers[name] == nil {
			out = append(out, "provider "+name+" removed")
		}
	}
	o, n := &prev.Client, &next.Client
	out = appendChange(out, "client.max_request_body_size_mb", o.MaxRequestBodyMB, n.MaxRequestBodyMB)
	out = appendChange(out, "client.max_buffered_request_mb", o.MaxBufferedRequestMB, n.MaxBufferedRequestMB)
	out = appendChange(out, "client.max_connections", o.MaxConnections, n.MaxConnections)
	out = appendChange(out, "client.max_connections_per_ip", o.MaxConnectionsPerIP, n.MaxConnectionsPerIP)
	out = appendChange(out, "client.drop_excess_requests", o.DropExcessRequests, n.DropExcessRequests)
	out = appendChange(out, "client.allow_direct_keys", o.AllowDirectKeys, n.AllowDirectKeys)
	if !slices.Equal(o.APIKeys, n.APIKeys) {
		out = append(out, fmt.Sprintf("client.api_keys changed (%d keys)", len(n.APIKeys)))
	}
	if !slices.Equal(o.AdminKeys, n.AdminKeys) {
		out = append(out, fmt.Sprintf("client.admin_keys changed (%d keys)", len(n.AdminKeys)))
	}
	if !slices.Equal(o.AllowedOrigins, n.AllowedOrigins) {
		out = append(out, "client.allowed_origins changed")
	}
	if !reflect.DeepEqual(prev.Aliases, next.Aliases) {
		out = append(out, "aliases changed")
	}
	if !reflect.DeepEqual(prev.Plugins, next.Plugins) {
		out = append(out, "plugins changed")
	}
	if len(out) == 0 {
		out = append(out, "no change")
	}
	return out
}

// diffKeys describes the key changes of provider name, keys told apart by keyName.
func diffKeys(name string, prev, next []config.Key) []string {
	var out []string
	old := make(map[string]config.Key, len(prev))
	for i, k := range prev {
		old[keyName(k, i)] = k
	}
	seen := make(map[string]bool, len(next))
	for i, k := range next {
		kn := keyName(k, i)
		seen[kn] = true
		o, ok := old[kn]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("provider %s: key %s added", name, kn))
		case o.Value != k.Value:
			out = append(out, fmt.Sprintf("provider %s: key %s has a new value", name, kn))
		case o.Weight != k.Weight:
			out = append(out, fmt.Sprintf("provider %s: key %s weight %s -> %s", name, kn,
				strconv.FormatFloat(o.Weight, 'g', -1, 64), strconv.FormatFloat(k.Weight, 'g', -1, 64)))
		case !slices.Equal(o.Models, k.Models):
			out = append(out, fmt.Sprintf("provider %s: key %s models changed", name, kn))
		}
	}
	for i, k := range prev {
		if kn := keyName(k, i); !seen[kn] {
			out = append(out, fmt.Sprintf("provider %s: key %s removed", name, kn))
		}
	}
	return out
}

// keyName names a key without its value: its name, else its id, else its place.
func keyName(k config.Key, i int) string {
	switch {
	case k.Name != "":
		return k.Name
	case k.ID != "":
		return k.ID
	}
	return "#" + strconv.Itoa(i)
}

func keyNames(keys []config.Key) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = keyName(k, i)
	}
	return fmt.Sprint(names)
}

func appendChange[T comparable](out []string, what string, old, next T) []string {
	if old == next {
		return out
	}
	return append(out, fmt.Sprintf("%s %v -> %v", what, old, next))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
