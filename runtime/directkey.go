package runtime

// setDirectKey puts the client's own provider key (Call.DirectKey) on the request, in the
// provider's auth header.
func (c *Call) setDirectKey(p *providerState) {
	if p.info.Auth.Header != "" {
		c.req.Header.Set(p.info.Auth.Header, p.info.Auth.Value(c.DirectKey))
	}
}

// RedactDirectKey removes the client's provider key, and the masked form providers echo
// (its last four characters), from err's message and param. It does nothing without a
// direct key.
func (c *Call) RedactDirectKey(err *Error) *Error {
	k := c.DirectKey
	if err == nil || k == "" {
		return err
	}
	err.Body.Message = redact(err.Body.Message, k)
	err.Body.Param = redact(err.Body.Param, k)
	return err
}

func redact[S ~string](s S, key string) S {
	return S(redactKey(string(s), key))
}
