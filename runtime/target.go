package runtime

import (
	"fmt"
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// urlTemplate is an operation's URL with every placeholder but the model's filled in:
// pre + the model (path-escaped) + post, or pre alone when the URL names no model.
type urlTemplate struct {
	pre, post string
	// model says which placeholder stood between pre and post: modelNone, modelName or
	// modelDeployment.
	model uint8
}

const (
	modelNone       = iota
	modelName       // {model}
	modelDeployment // {deployment}

	// Both are replaced by the key's deployment for the model when its settings map one
	// (provider.KeyConfig's ModelDeployments), else by the model.
)

// templated reports whether a URL has placeholders and so is built per key.
func templated(url string) bool { return strings.Contains(url, "{") }

// keyVars are the values a key gives to URL placeholders.
type keyVars struct {
	apiVersion, region, project, endpoint string
	where                                 string                  // "keys[i]", for errors
	spec                                  *provider.KeyConfigSpec // the provider's key config, for errors
}

// keylessVars returns the placeholder values of a provider without keys.
func keylessVars(info *provider.Info) keyVars {
	return keyVars{apiVersion: info.APIVersion, where: "the provider (it has no keys)", spec: info.KeyConfig}
}

// varsOf returns the placeholder values that keys[i], with provider-specific settings s (nil
// when it has none), gives.
func varsOf(info *provider.Info, s provider.KeyConfig, i int) keyVars {
	v := keyVars{apiVersion: info.APIVersion, where: fmt.Sprintf("keys[%d]", i), spec: info.KeyConfig}
	if s == nil {
		return v
	}
	v.endpoint, v.region, v.project = s.Var("endpoint"), s.Var("region"), s.Var("project")
	if av := s.Var("api_version"); av != "" {
		v.apiVersion = av
	}
	return v
}

// compile fills url's key placeholders from v and splits it around the model placeholder.
func compile(url string, v keyVars) (urlTemplate, error) {
	var t urlTemplate
	var b strings.Builder
	rest := url
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return t, fmt.Errorf("URL %q has an unclosed {", url)
		}
		b.WriteString(rest[:i])
		name := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		var val string
		switch name {
		case "model", "deployment":
			if t.model != modelNone {
				return t, fmt.Errorf("URL %q names the model twice", url)
			}
			t.model = modelName
			if name == "deployment" {
				t.model = modelDeployment
			}
			t.pre = b.String()
			b.Reset()
			continue
		case "api_version":
			val = v.apiVersion
		case "region":
			val = v.region
		case "project":
			val = v.project
		case "endpoint":
			val = v.endpoint
		default:
			return t, fmt.Errorf("URL %q has an unknown placeholder {%s}", url, name)
		}
		if val == "" {
			return t, fmt.Errorf("%s: %s is required", v.where, placeholderSource(v.spec, name))
		}
		if name == "region" && val == "global" && strings.HasSuffix(b.String(), "://") && strings.HasPrefix(rest, "-") {
			// A regional host prefix, "https://{region}-aiplatform...": Google's global
			// location has the bare host (https://aiplatform.googleapis.com).
			rest = rest[1:]
			continue
		}
		if name == "endpoint" {
			b.WriteString(val)
		} else {
			b.WriteString(escapePath(val))
		}
	}
	if t.model == modelNone {
		t.pre = b.String()
	} else {
		t.post = b.String()
	}
	return t, nil
}

// appendURL appends the URL of t for model to dst. deployments maps a model to the name the
// provider serves it under (nil when the key has none).
func (t *urlTemplate) appendURL(dst []byte, model string, deployments map[string]string) []byte {
	dst = append(dst, t.pre...)
	switch t.model {
	case modelNone:
		return dst
	}
	if d, ok := deployments[model]; ok {
		model = d // a deployment, an inference profile or an ARN
	}
	dst = appendEscaped(dst, model)
	return append(dst, t.post...)
}

// unreserved reports whether c may appear in a path segment as it is (RFC 3986, section
// 2.3). Everything else is percent-encoded, "/" and ":" too, as AWS's SDKs do for model IDs
// such as "anthropic.claude-3-5-sonnet-20240620-v1:0" or inference-profile ARNs.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func appendEscaped(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hex[c>>4], hex[c&15])
	}
	return dst
}

func escapePath(s string) string { return string(appendEscaped(nil, s)) }

// isHexDigit reports whether c is a hexadecimal digit.
func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unhex returns the value of hexadecimal digit c.
func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	default:
		return c - '0'
	}
}

// deploymentsOf returns the model-to-deployment map of a key's settings s, or nil.
func deploymentsOf(s provider.KeyConfig) map[string]string {
	if s != nil && len(s.ModelDeployments()) > 0 {
		return s.ModelDeployments()
	}
	return nil
}

// placeholderSource names where a key's value for URL placeholder name comes from, for
// errors: the key config field that the provider declares for it
// ("<type>_key_config.<field>"), else the placeholder itself.
func placeholderSource(spec *provider.KeyConfigSpec, name string) string {
	if spec != nil {
		for _, f := range spec.Fields {
			if f.Var == name {
				return spec.Member + "." + f.Name
			}
		}
	}
	return "a value for {" + name + "} (the provider declares no key setting that gives one)"
}
