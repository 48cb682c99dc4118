package runtime

// IsAlias reports whether the current config maps the bare model name to targets (aliases).
func (e *Engine) IsAlias(name string) bool {
	_, ok := e.snapshot().aliases[name]
	return ok
}
