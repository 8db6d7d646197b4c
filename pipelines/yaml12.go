package pipelines

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Scalars are read as YAML 1.2's core schema reads them (https://yaml.org/spec/1.2.2/#1032-tag-resolution),
// as the JSON schema and the editors that check definitions with it do. yaml.v3 resolves plain
// scalars partly by YAML 1.1: 01024 is octal (532), 0b101 and 1_000 are numbers, 2024-01-02 is
// a timestamp. In YAML 1.2, 01024 is 1024 and the others are text.
var (
	core12Null  = regexp.MustCompile(`^(~|null|Null|NULL|)$`)
	core12Bool  = regexp.MustCompile(`^(true|True|TRUE|false|False|FALSE)$`)
	core12Dec   = regexp.MustCompile(`^[-+]?[0-9]+$`)
	core12Oct   = regexp.MustCompile(`^0o[0-7]+$`)
	core12Hex   = regexp.MustCompile(`^0x[0-9a-fA-F]+$`)
	core12Float = regexp.MustCompile(`^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$`)
)

// Tags of the core schema.
const (
	tagNull  = "!!null"
	tagBool  = "!!bool"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagStr   = "!!str"
	tagMerge = "!!merge"
)

// resolve12 gives a scalar node the tag YAML 1.2's core schema gives it. A quoted or block
// scalar is text; an explicitly tagged one keeps its tag.
func resolve12(n *yaml.Node) {
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return
	}
	if n.Tag == tagMerge {
		return // the merge key <<, reported as unsupported
	}
	switch v := n.Value; {
	case core12Null.MatchString(v):
		n.Tag = tagNull
	case core12Bool.MatchString(v):
		n.Tag = tagBool
	case core12Dec.MatchString(v) || core12Oct.MatchString(v) || core12Hex.MatchString(v):
		n.Tag = tagInt
	case core12Float.MatchString(v):
		n.Tag = tagFloat
	default:
		n.Tag = tagStr
	}
}

// int12 is the value of a YAML 1.2 integer (decimal with leading zeros, 0o octal, 0x hex), and
// whether the text is one. The value may be out of any field's range (big).
func int12(s string) (*big.Int, bool) {
	switch {
	case core12Oct.MatchString(s):
		return new(big.Int).SetString(s[2:], 8)
	case core12Hex.MatchString(s):
		return new(big.Int).SetString(s[2:], 16)
	case core12Dec.MatchString(s):
		return new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
	}
	return nil, false
}

// float12 is the value of a YAML 1.2 number, whether the text is one, and whether it is too
// large for a float64 (1e400).
func float12(s string) (value float64, ok, tooLarge bool) {
	if i, isInt := int12(s); isInt {
		f, _ := new(big.Float).SetInt(i).Float64()
		return f, true, math.IsInf(f, 0)
	}
	if !core12Float.MatchString(s) {
		return 0, false, false
	}
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case ".inf":
		if strings.HasPrefix(s, "-") {
			return math.Inf(-1), true, false
		}
		return math.Inf(1), true, false
	case ".nan":
		return math.NaN(), true, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, true, err != nil && math.IsInf(f, 0) // out of range: ParseFloat gives ±Inf
}
