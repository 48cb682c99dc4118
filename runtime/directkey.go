package runtime

import "github.com/bifrost-gw/bifrost/runtime/schemas"

// setDirectKey puts the client's own provider key (Call.DirectKey) on the request, in the
// provider's auth header.
func (c *Call) setDirectKey(p *providerState) {
	if p.info.Auth.Header != "" {
		c.req.Header.Set(p.info.Auth.Header, p.info.Auth.Value(c.DirectKey))
	}
}

// RedactDirectKey removes the client's provider key, in every form a provider may echo
// (see secret), from every member of err's body. It does nothing without a direct key. The
// engine scrubs a provider's errors already; this covers errors from elsewhere (a plugin).
func (c *Call) RedactDirectKey(err *Error) *Error {
	if err == nil || c.DirectKey == "" {
		return err
	}
	k := c.directSecrets()
	b := &err.Body
	b.Message = scrubText(b.Message, &c.scratch, k, nil)
	b.Type = scrubText(b.Type, &c.scratch, k, nil)
	b.Param = schemas.NullString(scrubText(string(b.Param), &c.scratch, k, nil))
	b.Code = schemas.NullString(scrubText(string(b.Code), &c.scratch, k, nil))
	return err
}
