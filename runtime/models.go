package runtime

import (
	"sort"
	"sync"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// ListModels lists the models every configured provider serves, as "provider/model" ids: the
// provider's own list where it has a models endpoint, else the models its keys name. Providers
// are asked in parallel; one that fails is reported in the second result and left out.
func (e *Engine) ListModels() (schemas.ModelList, []*Error) {
	s := e.snapshot()
	out := schemas.ModelList{Object: "list", Data: []schemas.Model{}}
	var mu sync.Mutex
	var errs []*Error
	var wg sync.WaitGroup
	for _, name := range s.names {
		p := s.providers[name]
		wg.Add(1)
		go func() {
			defer wg.Done()
			models, err := e.providerModels(p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			out.Data = append(out.Data, models...)
		}()
	}
	wg.Wait()
	sort.Slice(out.Data, func(i, j int) bool { return out.Data[i].ID < out.Data[j].ID })
	sort.Slice(errs, func(i, j int) bool { return errs[i].Provider < errs[j].Provider })
	return out, errs
}

func (e *Engine) providerModels(p *providerState) ([]schemas.Model, *Error) {
	var out []schemas.Model
	if p.urls[provider.OpModels] == "" {
		seen := map[string]bool{}
		for _, k := range p.keys {
			for _, m := range k.models {
				if !seen[m] {
					seen[m] = true
					out = append(out, schemas.Model{ID: p.name + "/" + m, Object: "model", OwnedBy: p.name})
				}
			}
		}
		return out, nil
	}
	c := e.AcquireCall()
	defer e.ReleaseCall(c)
	c.op = provider.OpModels
	t := target{p: p}
	if err := e.try(c, t, e.snapshot(), e.clock.Now()); err != nil {
		cp := *err
		return nil, &cp
	}
	var list schemas.ModelList
	if err := p.adapter.DecodeModels(c.resp.Body(), &list); err != nil {
		cp := *c.decode(err)
		return nil, &cp
	}
	for _, m := range list.Data {
		if m.ID == "" {
			continue
		}
		// Copy: the list borrows from the response body, which the call reuses.
		out = append(out, schemas.Model{ID: p.name + "/" + m.ID, Object: "model", Created: m.Created, OwnedBy: clone(m.OwnedBy)})
	}
	return out, nil
}

func clone(s string) string { return string(append([]byte(nil), s...)) }
