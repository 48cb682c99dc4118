package governance

import "github.com/bifrost-gw/bifrost/governance/state"

// Enter is called when the engine is about to send the request to a target of provider
// (its first target and each fallback). When the ticket holds another provider's
// governance.providers level, Enter gives that back: the request failed there, and a
// failed call is not billed (the provider's rpm still counts the request). When
// governance.providers limits provider, it then reserves the request's worst case from
// it, in one step with the give-back on Redis. So a provider's limits and budget count
// the requests that are sent to it, whichever target they named first, and Settle
// charges the real cost to the provider that answered. It returns Admit when the request
// may be sent to provider, else Refused (t.Verdict and RefusedBy say why) or Unavailable.
func (g *Governor) Enter(t *Ticket, provider string) Outcome {
	p := t.policy
	if p == nil || provider == t.prov {
		return Admit
	}
	pl := p.providers[provider]
	if pl == nil && t.prov == "" {
		return Admit
	}
	g.leave(t)
	if pl == nil {
		return Admit
	}
	t.prov = provider
	t.pres = state.Reservation{N: 1, Tokens: t.res.Tokens, Cost: t.res.Cost}
	t.pres.Levels[0] = pl
	return g.reserve(p, t, &t.pres)
}

// leave gives back the provider level that t holds, if any, charging it nothing.
func (g *Governor) leave(t *Ticket) {
	var err error
	switch r := &t.res; {
	case t.provIn:
		if r.Held {
			back := *r
			back.Levels = [state.MaxLevels]*state.Level{r.Levels[r.N-1]}
			back.Lease = [state.MaxLevels]uint64{r.Lease[r.N-1]}
			back.N = 1
			err = g.state.Settle(&back, 0, 0)
		}
		r.N--
		r.Levels[r.N] = nil
		r.Lease[r.N] = 0
		r.Held = r.Held && r.N > 0
		t.provIn = false
	case t.pres.Held:
		err = g.state.Settle(&t.pres, 0, 0)
	}
	if err != nil {
		g.stateErrors.Add(1)
	}
	t.prov = ""
}
