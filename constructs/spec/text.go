package spec

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The text policy: what no text of a definition may hold, wherever it goes. A definition is
// written by a product team and deployed with broad CloudFormation rights, so text that a
// later step evaluates must never reach it:
//
//   - a CloudFormation dynamic reference ({{resolve:ssm:…}}, {{resolve:secretsmanager:…}}):
//     CloudFormation resolves it in any resource property with the deploy role's rights, so a
//     build command or an alarm dimension could print a secret its own role may not read
//     (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html);
//   - a CDK token marker (${Token[…]}, #{Token[…]}, or a number the CDK encodes a token as,
//     -1.888…e+289): the CDK decodes it while synthesizing, which fails or injects a reference
//     to another resource (aws-cdk-lib core/lib/private/encoding.ts);
//   - CodePipeline's variable syntax #{…}, which CodePipeline evaluates in action configurations
//     (https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-variables.html); only
//     commands, which go into build specs CodePipeline does not read, may hold it;
//   - control characters, line and paragraph separators and invisible formatting characters
//     (bidirectional overrides, zero-width characters): they end a line or a comment where the
//     text is embedded (a branch name in the placeholder function's // comment), hide what the
//     text really says, or break the file they are written to. Commands alone may hold line
//     breaks and tabs;
//   - invalid UTF-8.
//
// Each field's own rules (length, characters, pattern) come from TextRules. The policy covers
// every string of the definition, found by reflection over the spec types, so a new field is
// covered without anyone remembering to.

var (
	// dynamicReferenceRE: CloudFormation resolves {{resolve:service:key}} anywhere in a template.
	dynamicReferenceRE = regexp.MustCompile(`(?i)\{\{\s*resolve\s*:`)
	// tokenMarkerRE: the CDK's string and list token markers, and the string form of its
	// number tokens (STRINGIFIED_NUMBER_PATTERN in aws-cdk-lib's encoding).
	tokenMarkerRE = regexp.MustCompile(`[$#]\{Token\[|-1\.\d{10,16}e\+289`)
)

// cdkNumberTokenBits are the upper 16 bits of every number the CDK uses to encode a token
// (DOUBLE_TOKEN_MARKER_BITS in aws-cdk-lib core/lib/private/encoding.ts): a float64 with these
// bits is decoded as a reference, not used as the number it seems to be.
const cdkNumberTokenBits = 0xFBFF

// IsCDKNumberToken reports whether the CDK would read x as an encoded token.
func IsCDKNumberToken(x float64) bool { return math.Float64bits(x)>>48 == cdkNumberTokenBits }

// textProblem returns what is wrong with a text by the policy every text field obeys, and the
// fix, or "" when nothing is. lines allows line breaks and tabs (commands); pipelineVariables
// allows #{ (text CodePipeline never evaluates).
func textProblem(s string, lines, pipelineVariables bool) (what, fix string) {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text", "write the value as UTF-8 text"
	}
	for i, r := range s {
		if (r >= ' ' && r < 0x7f) || (lines && (r == '\n' || r == '\t')) {
			continue // printable ASCII: most of any text
		}
		if name := invisible(r); name != "" {
			fix := "remove it: this field takes one line of visible text"
			if lines {
				fix = "remove it: commands may hold line breaks and tabs, no other control or invisible characters"
			}
			return fmt.Sprintf("holds %s at character %d", name, utf8.RuneCountInString(s[:i])+1), fix
		}
	}
	switch {
	case strings.Contains(s, "{{") && dynamicReferenceRE.MatchString(s):
		return "holds a CloudFormation dynamic reference ({{resolve:…}}), which CloudFormation would resolve with the deploy role's rights and write where the field goes",
			"remove it: a function or container reads a secret through lambda.secrets or container.secrets, which grant reading exactly that secret; a command reads a parameter at run time with its own role"
	case (strings.Contains(s, "Token[") || strings.Contains(s, "e+289")) && tokenMarkerRE.MatchString(s):
		return "holds a CDK token marker (${Token[…]}, #{Token[…]} or an encoded number like -1.888…e+289), which the CDK would decode into a reference while synthesizing",
			"write the literal value"
	case !pipelineVariables && strings.Contains(s, "#{"):
		return "holds #{, CodePipeline's variable syntax, which the pipeline evaluates where this value is used",
			"remove the #{ (only commands may hold it)"
	}
	return "", ""
}

// invisible names a character no single-line text may hold (controls, separators, invisible
// formatting characters, private-use and unassigned code points), or returns "".
func invisible(r rune) string {
	code := func() string { return fmt.Sprintf("U+%04X", r) }
	switch {
	case r == 0:
		return "the control character " + code() + " (NUL)"
	case unicode.IsControl(r):
		return "the control character " + code()
	case r == '\u2028':
		return "the line separator " + code()
	case r == '\u2029':
		return "the paragraph separator " + code()
	case unicode.In(r, unicode.Cf):
		return "the invisible formatting character " + code()
	case unicode.In(r, unicode.Co, unicode.Cs) || r == utf8.RuneError:
		return "the private-use or invalid character " + code()
	case r == '\uFFFE' || r == '\uFFFF':
		return "the noncharacter " + code()
	}
	return ""
}

// Visible shows a text with its control and invisible characters escaped, for messages.
func Visible(s string) string {
	for _, r := range s {
		if (r < ' ' || r >= 0x7f) && invisible(r) != "" {
			q := strconv.QuoteToGraphic(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

// Length is the length of a text in UTF-16 code units, as the AWS APIs (Java strings) and the
// CDK (JavaScript strings) count characters.
func Length(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
