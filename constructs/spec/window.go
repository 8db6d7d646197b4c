package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones are checked the same on every machine
)

// A deployment window's cron expression, as CodePipeline's DeploymentWindow rule reads it:
// "Cron expressions are comprised of 6 required fields and one optional field separated by
// white space": seconds, minutes, hours, day-of-month, month, day-of-week and an optional year
// (CodePipeline User Guide, rule reference, DeploymentWindow). Minutes 0-59, hours 0-23,
// day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT (1 is Sunday), year
// 1970-2199; one of day-of-month and day-of-week is '?'.
type cronField struct {
	name     string
	min, max int
	names    []string // names for min, min+1, … (months, days of the week)
}

var cronFields = []cronField{
	{name: "seconds", min: 0, max: 59},
	{name: "minutes", min: 0, max: 59},
	{name: "hours", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
	{name: "year", min: 1970, max: 2199},
}

// cronSpecial: the Quartz forms (L, W, #) the window check does not evaluate. CodePipeline
// takes them; the project checks their syntax only and assumes such a window opens.
var cronSpecial = regexp.MustCompile(`[LW#]`)

// schedule is a parsed window: for each field the set of values it allows (nil: every value,
// for '*' and '?'); special when a field uses a form the check does not evaluate.
type schedule struct {
	sets    [7]map[int]bool
	special bool
	loc     *time.Location
}

// parseCron parses a window's cron expression; the error says what is wrong, for people.
func parseCron(expr string) (*schedule, error) {
	parts := strings.Fields(expr)
	if len(parts) != 6 && len(parts) != 7 {
		return nil, fmt.Errorf("has %d fields, and a window's cron expression has 6 or 7 (seconds minutes hours day-of-month month day-of-week [year])", len(parts))
	}
	s := &schedule{}
	for i, p := range parts {
		f := cronFields[i]
		if p == "*" || (p == "?" && (i == 3 || i == 5)) {
			continue
		}
		if (i == 3 || i == 5) && cronSpecial.MatchString(f.withoutNames(p)) {
			s.special = true
			continue
		}
		set, err := f.parse(p)
		if err != nil {
			return nil, err
		}
		s.sets[i] = set
	}
	if (parts[3] == "?") == (parts[5] == "?") {
		return nil, fmt.Errorf("sets both day-of-month (%q) and day-of-week (%q): one of them must be '?'", parts[3], parts[5])
	}
	return s, nil
}

// parse reads one field: a list of values, ranges (a-b) and steps (*/n, a/n, a-b/n).
func (f cronField) parse(p string) (map[int]bool, error) {
	set := map[int]bool{}
	for _, item := range strings.Split(p, ",") {
		rng, step := item, 1
		if r, st, ok := strings.Cut(item, "/"); ok {
			n, err := strconv.Atoi(st)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s %q: %q is not a step (a whole number from 1)", f.name, p, st)
			}
			rng, step = r, n
		}
		lo, hi := f.min, f.max
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return nil, fmt.Errorf("%s %q: %v", f.name, p, err)
			}
			hi = lo
			if isRange {
				if hi, err = f.value(b); err != nil {
					return nil, fmt.Errorf("%s %q: %v", f.name, p, err)
				}
				if hi < lo {
					return nil, fmt.Errorf("%s %q: the range %s ends before it starts", f.name, p, rng)
				}
			} else if step > 1 {
				hi = f.max
			}
		}
		for v := lo; v <= hi; v += step {
			set[v] = true
		}
	}
	return set, nil
}

// withoutNames is p with the field's names (MON, WED) taken out, so that the W of WED is not
// read as the W form.
func (f cronField) withoutNames(p string) string {
	up := strings.ToUpper(p)
	for _, n := range f.names {
		up = strings.ReplaceAll(up, n, "")
	}
	return up
}

// value reads one value of the field: a number in its range, or a name.
func (f cronField) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.min || n > f.max {
		what := fmt.Sprintf("%d-%d", f.min, f.max)
		if len(f.names) > 0 {
			what += fmt.Sprintf(" or %s-%s", f.names[0], f.names[len(f.names)-1])
		}
		return 0, fmt.Errorf("%q is not a %s value (%s)", s, f.name, what)
	}
	return n, nil
}

func (s *schedule) has(field, v int) bool { return s.sets[field] == nil || s.sets[field][v] }

// openOn reports whether the window may open on the local day of t (its day-of-month, month,
// day-of-week and year match, and some hour and minute exist).
func (s *schedule) openOn(t time.Time) bool {
	return s.has(3, t.Day()) && s.has(4, int(t.Month())) && s.has(5, int(t.Weekday())+1) && s.has(6, t.Year())
}

// openAt reports whether the window is open in the minute of t.
func (s *schedule) openAt(t time.Time) bool {
	l := t.In(s.loc)
	return s.openOn(l) && s.has(2, l.Hour()) && s.has(1, l.Minute())
}

// utcOffsetRE: a time zone written as an offset from UTC, UTC+05:30 (DeploymentWindow's "UTC
// format").
var utcOffsetRE = regexp.MustCompile(`^UTC([+-])([01][0-9]|2[0-3]):([0-5][0-9])$`)

// location reads a window's time zone: an IANA name (Europe/Berlin), UTC, or UTC±HH:MM. The
// rule also takes abbreviations (EST, IST); the project refuses them, because one abbreviation
// names several zones (IST: India, Ireland, Israel).
func location(name string) (*time.Location, error) {
	if m := utcOffsetRE.FindStringSubmatch(name); m != nil {
		h, _ := strconv.Atoi(m[2])
		mins, _ := strconv.Atoi(m[3])
		off := h*3600 + mins*60
		if m[1] == "-" {
			off = -off
		}
		return time.FixedZone(name, off), nil
	}
	if name == "UTC" || strings.Contains(name, "/") {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("%q is not a time zone name", name)
}

// windowHorizon is how far ahead the check looks for a time all of a stage's windows are open:
// two years, so every day of the week meets every date, a leap day included.
const windowHorizon = 2 * 366 * 24 * time.Hour

// firstOpening is the first minute from start at which every window is open, or false when
// none is within the horizon. Windows with forms the check does not evaluate count as open.
func firstOpening(windows []*schedule, start time.Time) (time.Time, bool) {
	var checked []*schedule
	for _, w := range windows {
		if !w.special {
			checked = append(checked, w)
		}
	}
	if len(checked) == 0 {
		return start, true
	}
	t := start.UTC().Truncate(time.Minute)
	end := t.Add(windowHorizon)
	for t.Before(end) {
		// Skip a UTC day on which some window cannot open: none of its local days match.
		dayEnd := t.Truncate(24 * time.Hour).Add(24 * time.Hour)
		skip := false
		for _, w := range checked {
			if !w.openOn(t.In(w.loc)) && !w.openOn(dayEnd.Add(-time.Minute).In(w.loc)) {
				skip = true
				break
			}
		}
		if skip {
			t = dayEnd
			continue
		}
		for ; t.Before(dayEnd); t = t.Add(time.Minute) {
			all := true
			for _, w := range checked {
				if !w.openAt(t) {
					all = false
					break
				}
			}
			if all {
				return t, true
			}
		}
	}
	return time.Time{}, false
}
