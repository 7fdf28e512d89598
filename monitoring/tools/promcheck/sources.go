package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Query is one PromQL expression and where it comes from.
type Query struct {
	Where string
	Expr  string
	// Rule is the alert or recording rule's name, empty for dashboard queries.
	Rule string
}

// RuleQueries reads the expressions of a Prometheus rule file.
func RuleQueries(file string) ([]Query, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert  string `yaml:"alert"`
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []Query
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			name := r.Alert + r.Record
			out = append(out, Query{Where: "alert " + name, Expr: r.Expr, Rule: name})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no rules", file)
	}
	return out, nil
}

type panel struct {
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
}

type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

var (
	labelValues = regexp.MustCompile(`^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)
	variable    = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?`)
)

// DashboardQueries reads every panel query (rows included) and every query variable of a
// Grafana dashboard, with Grafana's interval variables replaced by `interval` and every other
// variable by `.*` (dashboards use variables only in regex matchers).
func DashboardQueries(file, interval string) ([]Query, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if d.Title == "" || d.UID == "" {
		return nil, fmt.Errorf("%s: a dashboard needs a title and a uid", file)
	}
	base := filepath.Base(file)
	var out []Query
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := variableQuery(v.Query)
		if m := labelValues.FindStringSubmatch(q); m != nil {
			q = m[1]
		}
		out = append(out, Query{Where: fmt.Sprintf("%s variable %s", base, v.Name), Expr: substitute(q, interval)})
	}
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			for _, t := range p.Targets {
				out = append(out, Query{
					Where: fmt.Sprintf("%s panel %q %s", base, p.Title, t.RefID),
					Expr:  substitute(t.Expr, interval),
				})
			}
		}
	}
	walk(d.Panels)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no queries", file)
	}
	return out, nil
}

func variableQuery(q any) string {
	switch v := q.(type) {
	case string:
		return v
	case map[string]any:
		s, _ := v["query"].(string)
		return s
	}
	return ""
}

func substitute(expr, interval string) string {
	return variable.ReplaceAllStringFunc(expr, func(m string) string {
		name := strings.Trim(m, "${}")
		if strings.HasPrefix(name, "__") {
			return interval
		}
		return ".*"
	})
}
