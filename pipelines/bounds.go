package pipelines

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Bounds of one definition file. A real definition is a few kilobytes; these leave room for
// long comments, and stop a file whose aliases expand into hundreds of megabytes (a 90 KB file
// can: an alias repeated in a list repeats everything it names) before anything is decoded or
// built from it.
const (
	// MaxFileBytes is the largest file read at all.
	MaxFileBytes = 16 << 20
	// MaxNodes is how many values (mappings, lists and texts) a definition may hold once its
	// aliases are expanded.
	MaxNodes = 20000
	// MaxValueBytes is how much text a definition may hold once its aliases are expanded.
	MaxValueBytes = 512 << 10
)

// expansion is the size of a node once its aliases are expanded.
type expansion struct{ nodes, bytes int }

func (e expansion) over() bool { return e.nodes > MaxNodes || e.bytes > MaxValueBytes }

// sizer measures expansions, each node once: linear in the file, however much it expands.
type sizer map[*yaml.Node]expansion

func (s sizer) size(n *yaml.Node) expansion {
	if e, ok := s[n]; ok {
		return e
	}
	s[n] = expansion{} // an alias of a node inside itself (yaml.v3 refuses those) counts nothing
	var e expansion
	switch n.Kind {
	case yaml.AliasNode:
		e = s.size(n.Alias)
	case yaml.ScalarNode:
		e = expansion{1, len(n.Value)}
	default:
		e.nodes = 1
		for _, c := range n.Content {
			ce := s.size(c)
			e.nodes = min(e.nodes+ce.nodes, MaxNodes+1)
			e.bytes = min(e.bytes+ce.bytes, MaxValueBytes+1)
		}
	}
	s[n] = e
	return e
}

// bounded reports whether the document stays within the bounds once its aliases are expanded.
// If not, it reports the problem at the field that holds most of it: from the top, it follows
// the value that holds more than half of its parent's expansion, down to an alias or to a value
// whose expansion is spread over its items.
func (c *checker) bounded(root *yaml.Node) bool {
	s := sizer{}
	if !s.size(root).over() {
		return true
	}
	// Follow the measure that is over: text, or else the number of values.
	measure := func(e expansion) int { return e.nodes }
	if s.size(root).bytes > MaxValueBytes {
		measure = func(e expansion) int { return e.bytes }
	}
	n, field, at := root, "", root
	for n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		total := s.size(n)
		next, nextField, nextAt := (*yaml.Node)(nil), "", (*yaml.Node)(nil)
		for i, child := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				continue
			}
			if 2*measure(s.size(child)) > measure(total) {
				if n.Kind == yaml.MappingNode {
					next, nextField, nextAt = child, join(field, n.Content[i-1].Value), n.Content[i-1]
				} else {
					next, nextField, nextAt = child, fmt.Sprintf("%s[%d]", field, i), child
				}
			}
		}
		if next == nil {
			break
		}
		n, field, at = next, nextField, nextAt
	}
	e := s.size(n)
	c.add(at, field, fmt.Sprintf("expands to %s values and %s bytes of text (aliases included): a definition holds at most %d values and %d KiB of text",
		atLeast(e.nodes, MaxNodes), atLeast(e.bytes, MaxValueBytes), MaxNodes, MaxValueBytes>>10),
		"write the values out once: an alias repeats everything its anchor holds")
	return false
}

// atLeast shows a measure that stopped counting at its limit.
func atLeast(n, limit int) string {
	if n > limit {
		return fmt.Sprintf("more than %d", limit)
	}
	return fmt.Sprint(n)
}
