package provider

// KeyConfig is a key's provider-specific settings, such as an endpoint and deployments, or
// cloud credentials and a region: the value of the key config member that its provider declares (a
// KeyConfigSpec). The runtime reads it only through these methods, so that it names no
// provider; an auth scheme reads its credentials through an interface of its own (package
// runtime/auth). A provider implements it in the hand-written part of its folder.
type KeyConfig interface {
	// Member is the settings' config member, "<type>_key_config", for errors.
	Member() string
	// Var returns the value the settings give URL placeholder name ("endpoint",
	// "api_version", "region", "project"; see Placeholders), or "".
	Var(name string) string
	// ModelDeployments maps a model to the name the provider serves it under (a
	// deployment, an inference profile or ARN); nil when there is none.
	ModelDeployments() map[string]string
	// Ident returns what, besides the key's value, tells two keys apart for the runtime's
	// per-key tables (an endpoint, a project and region, an account and region). It holds
	// no secret.
	Ident() string
	// Secrets returns the credentials in the settings that a request may carry (besides the
	// key's value), for scrubbing from errors and logs.
	Secrets() []string
}

// KeyFieldType says how a field of a key config member is written and checked.
type KeyFieldType uint8

// The field types. Every string may be written "env.VAR", read from the environment.
const (
	// KeyString is a string, possibly empty.
	KeyString KeyFieldType = iota
	// KeyNonEmpty is a string that must not be empty.
	KeyNonEmpty
	// KeyURL is an absolute http or https URL.
	KeyURL
	// KeyMap is an object whose values are strings, such as a model-to-deployment map.
	KeyMap
)

// KeyField declares one field of a key config member.
type KeyField struct {
	// Name is the field's name in the config, e.g. "endpoint".
	Name string
	// Type says how the value is written and checked.
	Type KeyFieldType
	// Required says the field must be given.
	Required bool
	// With names another field that must be given when this one is (an access key and its
	// secret); "" for none.
	With string
	// Var names the URL placeholder whose value the field gives (see Placeholders and
	// KeyConfig.Var), e.g. "project" for a project_id field; "" for none. The runtime names
	// the field in the error when a key lacks the value.
	Var string
}

// KeyValueRule says when a key of a provider with a key config may leave out its "value".
type KeyValueRule uint8

// The rules.
const (
	// ValueRequired: every key needs a non-empty value.
	ValueRequired KeyValueRule = iota
	// ValueOptional: a key never needs a value (the settings, or the environment, carry
	// the credentials).
	ValueOptional
	// ValueOptionalWithConfig: a key needs a value unless it has the key config member.
	ValueOptionalWithConfig
)

// KeyValues are the decoded fields of one key config member, by field name. A field that
// was not given is absent.
type KeyValues struct {
	Strings map[string]string
	Maps    map[string]map[string]string
}

// KeyConfigSpec declares a provider's key config member: its name in a key object, its
// fields, how it relates to the key's value, and how its values become a KeyConfig. The
// spec's key_config member names it (a variable declared in the provider's folder), and the
// config decoder (runtime/config) reads the member with it, with the same checks and errors
// as every other config field.
type KeyConfigSpec struct {
	// Member is the member's name in a key object, "<type>_key_config". It is allowed
	// only in the keys of providers of this type.
	Member string
	// Required says every key of the provider must have the member.
	Required bool
	// Value says when a key may leave out its value.
	Value KeyValueRule
	// Fields are the member's fields, in the order they are documented.
	Fields []KeyField
	// Make builds the settings from the decoded fields. It is called only when the member
	// had no errors.
	Make func(KeyValues) KeyConfig
}
