package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
)

// Secret is a reference to a secret a function or container reads: a Secrets Manager secret or
// an SSM SecureString parameter, never its value. Set exactly one field.
type Secret struct {
	// SecretsManager is the name of an existing Secrets Manager secret, e.g. "orders/db".
	// A container gets its value as the variable; a function gets the variable <NAME>_SECRET_ARN
	// (the secret's ARN without its random suffix, which GetSecretValue and the Parameters and
	// Secrets Lambda extension accept) and may read the secret.
	SecretsManager string `json:"secretsManager,omitempty" yaml:"secretsManager,omitempty"`
	// Parameter is the name of an existing SSM SecureString parameter, e.g. "/orders/api-key".
	// A container gets its value as the variable; a function gets the variable
	// <NAME>_PARAMETER_NAME and may read the parameter.
	Parameter string `json:"parameter,omitempty" yaml:"parameter,omitempty"`
}

var (
	// secretNameRE: what a variable holding a secret is usually called.
	secretNameRE = regexp.MustCompile(`(?i)(secret|passw(or)?d|passwd|(^|_)(pass|pwd|jwt)($|_)|token|(api|private|access|auth|signing|encryption|master|client|secret|webhook)_?key|credential)`)
	// secretValueRE: values that are secrets whatever their variable is called (an AWS access
	// key ID, a PEM private key, a GitHub or Slack token, a CloudFormation dynamic reference,
	// which resolves to the plain secret in the function's configuration).
	secretValueRE         = regexp.MustCompile(`(A(KIA|SIA)[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|gh[pousr]_[A-Za-z0-9]{30,}|xox[abpr]-[A-Za-z0-9-]{10,}|\{\{resolve:(secretsmanager|ssm-secure):)`)
	ambiguousSecretNameRE = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)
)

// SecretProblem says why a plain environment variable looks like a secret, or "" when it does
// not. Both the definition's validation and the golden rule no-plain-secrets use it. A value
// that is a secret (an access key, a private key, a token, a URL with a password, a dynamic
// reference CloudFormation would resolve into the configuration) is one whatever its name; a
// variable named like a secret (…_PASSWORD, …_TOKEN, API_KEY, …) is one unless it says where
// a secret is (its value is an ARN, a URL without credentials or an SSM parameter path) or is
// a setting (a short number, a switch).
func SecretProblem(name, value string) string {
	switch {
	case secretValueRE.MatchString(value) || credentialsURLRE.MatchString(value):
		return "its value is a secret"
	case value == "" || !secretNameRE.MatchString(name) || locatorValueRE.MatchString(value) || settingValueRE.MatchString(value):
		return ""
	}
	return "its name says it holds a secret"
}

var (
	// credentialsURLRE: a URL with a password in it.
	credentialsURLRE = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[^/@:\s]*:[^/@\s]+@`)
	// locatorValueRE: ARNs, URLs and SSM parameter paths say where a secret is.
	locatorValueRE = regexp.MustCompile(`^(arn:|https?://|/)`)
	// settingValueRE: short numbers and switches are settings (PASSWORD_MIN_LENGTH=12,
	// TOKEN_TTL=3600), not secrets.
	settingValueRE = regexp.MustCompile(`^(\d{1,5}|true|false|yes|no|on|off)$`)
)

// secrets checks a runtime's environment for secrets and its secret references.
func (v *validator) secrets(prefix string, environment map[string]string, secrets map[string]Secret, reserved func(string) (string, string)) {
	for _, k := range slices.Sorted(maps.Keys(environment)) {
		if problem := SecretProblem(k, environment[k]); problem != "" {
			v.add(prefix+".environment."+k, problem+": a plain environment value is readable by anyone who can read the configuration",
				fmt.Sprintf("move it to %s.secrets.%s as {secretsManager: <secret name>} or {parameter: <SecureString parameter name>}", prefix, k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		s, field := secrets[k], prefix+".secrets."+k
		if v.covered(field) {
			continue
		}
		if what, fix := reserved(k); what != "" {
			v.add(field, what, fix)
			continue
		}
		if _, ok := environment[k]; ok {
			v.add(field, "is also a plain environment variable", fmt.Sprintf("remove %s.environment.%s", prefix, k))
		}
		switch {
		case (s.SecretsManager == "") == (s.Parameter == ""):
			v.add(field, "needs exactly one of secretsManager and parameter", `give {secretsManager: "orders/db"} or {parameter: "/orders/api-key"}`)
		case s.SecretsManager != "" && ambiguousSecretNameRE.MatchString(s.SecretsManager):
			v.add(field+".secretsManager", fmt.Sprintf("%q ends in a hyphen and six characters, like the random suffix of a secret's ARN", s.SecretsManager),
				"rename the secret (e.g. drop the last hyphen): an ARN without its suffix would be ambiguous")
		}
	}
}
