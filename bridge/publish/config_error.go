package publish

import (
	"fmt"
	"strings"
)

// ConfigError is an invalid [NATSConfig]: Field is the setting at fault,
// Rule what it breaks, and Related the settings the rule speaks of. It
// matches [ErrInvalidNATSConfig]. Callers that name settings differently
// (environment variables, say) rebuild the message from the parts.
type ConfigError struct {
	Field   string
	Rule    string
	Related []string
}

func (e *ConfigError) Error() string {
	msg := fmt.Sprintf("%v: %s: %s", ErrInvalidNATSConfig, e.Field, e.Rule)
	if len(e.Related) > 0 {
		msg += " " + strings.Join(e.Related, ", ")
	}
	return msg
}

// Unwrap makes the error match ErrInvalidNATSConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidNATSConfig }

// Rules of a ConfigError.
const (
	RuleRequired    = "is required"
	RuleTogether    = "set together with"
	RuleRequiredBy  = "required with"
	RuleOnlyOne     = "give only one of"
	RuleNotNegative = "must not be negative"
)

// Validate checks the settings that do not touch the file system: at most
// one kind of credentials, user and password together, the TLS client
// certificate and key together, no negative limits. Errors are
// *ConfigError.
func (c NATSConfig) Validate() error {
	kinds := 0
	for _, set := range []bool{c.CredsFile != "", c.NKeySeedFile != "", c.User != "", c.Token != ""} {
		if set {
			kinds++
		}
	}
	switch {
	case c.URL == "":
		return &ConfigError{Field: "URL", Rule: RuleRequired}
	case (c.TLSCertFile == "") != (c.TLSKeyFile == ""):
		return &ConfigError{Field: "TLSCertFile", Rule: RuleTogether, Related: []string{"TLSKeyFile"}}
	case c.User != "" && c.Password == "":
		return &ConfigError{Field: "Password", Rule: RuleRequiredBy, Related: []string{"User"}}
	case c.Password != "" && c.User == "":
		return &ConfigError{Field: "User", Rule: RuleRequiredBy, Related: []string{"Password"}}
	case kinds > 1:
		return &ConfigError{Field: "CredsFile", Rule: RuleOnlyOne, Related: []string{"CredsFile", "NKeySeedFile", "User", "Token"}}
	case c.ReconnectWait < 0:
		return &ConfigError{Field: "ReconnectWait", Rule: RuleNotNegative}
	case c.ReconnectBufSize < 0:
		return &ConfigError{Field: "ReconnectBufSize", Rule: RuleNotNegative}
	case c.DrainTimeout < 0:
		return &ConfigError{Field: "DrainTimeout", Rule: RuleNotNegative}
	}
	return nil
}
