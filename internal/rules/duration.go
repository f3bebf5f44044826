package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	goyaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// ParseDuration accepts Go durations ("90s", "1h30m") plus whole days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q: want e.g. 90s, 24h or 7d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q: want e.g. 90s, 24h or 7d", s)
	}
	return d, nil
}

// UnmarshalYAML reads a duration string; errors carry the node's position.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	var s string
	switch n := node.(type) {
	case *ast.StringNode:
		s = n.Value
	default:
		s = strings.TrimSpace(node.String())
	}
	v, err := ParseDuration(s)
	if err != nil {
		return &goyaml.SyntaxError{Message: err.Error(), Token: node.GetToken()}
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration the way it is read.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

func (d Duration) String() string { return time.Duration(d).String() }
