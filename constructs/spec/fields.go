package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// texts applies the text policy and the field's TextRule to every string of the service (map
// names included), the list and map sizes, and the CDK's number-token check to every number. It
// finds them by reflection over the spec types: a new field is covered without anyone
// remembering to. A field with a problem is not checked again by the rest of validation.
func (v *validator) texts(s Service) {
	w := &fieldWalker{v: v, values: map[string]string{}, keep: sameAsTargets}
	w.walk(reflect.ValueOf(s), "", "")
}

type fieldWalker struct {
	v      *validator
	values map[string]string // text values by field path, of the fields in keep (TextRule.SameAs)
	keep   map[string]bool
}

// sameAsTargets are the fields some TextRule.SameAs names.
var sameAsTargets = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range TextRules {
		if r.SameAs != "" {
			m[r.SameAs] = true
		}
	}
	return m
}()

// YAMLName is the YAML key of a struct field, or "" for a field the definition does not set.
func YAMLName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// yamlNames caches the YAML keys of a struct type's fields (by field index).
var yamlNames sync.Map // reflect.Type -> []string

// YAMLNames returns the YAML keys of a struct type's fields, by field index ("" for a field the
// definition does not set).
func YAMLNames(t reflect.Type) []string {
	if names, ok := yamlNames.Load(t); ok {
		return names.([]string)
	}
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = YAMLName(t.Field(i))
	}
	yamlNames.Store(t, names)
	return names
}

func (w *fieldWalker) walk(val reflect.Value, path, key string) {
	switch val.Kind() {
	case reflect.Pointer:
		if !val.IsNil() {
			w.walk(val.Elem(), path, key)
		}
	case reflect.Struct:
		t := val.Type()
		for i, name := range YAMLNames(t) {
			if name != "" {
				w.walk(val.Field(i), join(path, name), t.Name()+"."+name)
			}
		}
	case reflect.Slice:
		if w.count(path, key, val.Len()) {
			for i := 0; i < val.Len(); i++ {
				w.walk(val.Index(i), fmt.Sprintf("%s[%d]", path, i), key)
			}
		}
	case reflect.Map:
		if !w.count(path, key, val.Len()) {
			return
		}
		keys := val.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			p := join(path, k.String())
			if k.String() == "" {
				w.v.report(p, "has an empty name", "write a name before the colon")
				continue
			}
			if w.text(p, key+":key", k.String()) {
				w.walk(val.MapIndex(k), p, key)
			}
		}
	case reflect.String:
		w.text(path, key, val.String())
	case reflect.Float64:
		if x := val.Float(); IsCDKNumberToken(x) {
			w.v.report(path, fmt.Sprintf("%v is a number the CDK reads as an encoded token, which it would decode into a reference while synthesizing", x),
				"write the number you mean")
		}
	}
}

func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}

// count checks the size of a list or map against its rule, and reports whether its items are
// worth checking one by one.
func (w *fieldWalker) count(path, key string, n int) bool {
	r, ok := TextRules[key]
	if !ok || r.MaxItems == 0 || n <= r.MaxItems {
		return true
	}
	w.v.report(path, fmt.Sprintf("lists %d %s, more than %d: %s", n, r.Items, r.MaxItems, r.ItemsWhy), fmt.Sprintf("keep at most %d", r.MaxItems))
	return false
}

// text checks one text against the text policy and its rule; it reports whether it passed.
func (w *fieldWalker) text(path, key, s string) bool {
	if w.keep[path] {
		w.values[path] = s
	}
	if s == "" || w.v.covered(path) {
		return true // a missing value is validation's to report, where it is required
	}
	r := TextRules[key]
	if r.SameAs != "" && s == w.values[r.SameAs] && w.v.bad[r.SameAs] {
		return false
	}
	if what, fix := textProblem(s, r.Lines, r.PipelineVariables); what != "" {
		w.v.report(path, what, fix)
		return false
	}
	what, fix := r.check(s, strings.HasSuffix(key, ":key"))
	if what != "" {
		w.v.report(path, what, fix)
		return false
	}
	return true
}

// check applies a rule's length, character set and form to a text that passed the policy. A
// name of a map (name true) is not quoted in the message: the field path holds it.
func (r TextRule) check(s string, name bool) (what, fix string) {
	n, unit := Length(s), "characters"
	if r.Bytes {
		n, unit = len(s), "bytes"
	}
	quoted := fmt.Sprintf("%q ", s)
	if name {
		quoted = ""
	}
	switch {
	case r.Max > 0 && n > r.Max:
		fix := fmt.Sprintf("shorten it to at most %d %s", r.Max, unit)
		if r.Fix != "" && (r.Pattern != nil || r.Valid == nil) {
			fix += "; " + r.Fix
		}
		return fmt.Sprintf("is %d %s long, more than the %d %s allows", n, unit, r.Max, r.By), fix
	case r.ASCII && strings.IndexFunc(s, func(c rune) bool { return c < ' ' || c > '~' }) >= 0:
		return fmt.Sprintf("%sholds characters other than printable ASCII, which %s does not take", quoted, r.By), "use printable ASCII only"
	case !r.matches(s):
		return fmt.Sprintf("%sis not %s", quoted, r.Is), r.Fix
	}
	return "", ""
}
