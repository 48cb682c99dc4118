package runtime

import "math/rand/v2"

// pickKey chooses among the provider's keys allowed for model, at random in proportion to
// their weights, skipping the key at index avoid (the one that just failed) when another is
// allowed. It returns -1 when no key allows the model. It allocates nothing and takes no lock.
func (p *providerState) pickKey(model string, avoid int) int {
	var total float64
	n := 0
	for i := range p.keys {
		if i != avoid && p.keys[i].allows(model) {
			total += p.keys[i].weight
			n++
		}
	}
	if n == 0 {
		if avoid >= 0 && p.keys[avoid].allows(model) {
			return avoid
		}
		return -1
	}
	r := rand.Float64() * total
	last := -1
	for i := range p.keys {
		if i == avoid || !p.keys[i].allows(model) {
			continue
		}
		last = i
		r -= p.keys[i].weight
		if r < 0 {
			return i
		}
	}
	return last // rounding
}
