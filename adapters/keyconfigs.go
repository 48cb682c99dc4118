package adapters

import "github.com/bifrost-gw/bifrost/runtime/provider"

// KeyConfigs returns the key config declarations of the adapters that have one, by
// provider name, for config.WithKeyConfigs. A provider type reused by a custom provider
// (custom_provider_config.base_provider_type) is looked up by that name, so the map is
// keyed by the adapters' own names.
func KeyConfigs() map[string]*provider.KeyConfigSpec {
	return KeyConfigsOf(All())
}

// KeyConfigsOf returns the key config declarations of adapters, by provider name.
func KeyConfigsOf(adapters []provider.Adapter) map[string]*provider.KeyConfigSpec {
	out := map[string]*provider.KeyConfigSpec{}
	for _, a := range adapters {
		if info := a.Info(); info.KeyConfig != nil {
			out[info.Name] = info.KeyConfig
		}
	}
	return out
}
