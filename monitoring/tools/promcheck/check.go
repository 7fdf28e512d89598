package main

import (
	"fmt"
	"sort"

	"github.com/prometheus/prometheus/promql/parser"
)

// Checker runs the checks of one query against a Prometheus.
type Checker struct {
	API     API
	Pending map[string]bool
}

// Result of checking one query: an error, or the pending metric names it waits for.
type Result struct {
	Err     error
	Pending []string
}

var promql = parser.NewParser(parser.Options{})

// Check parses q, requires data for each of its selectors (offsets removed), then for its data
// side: the expression without a threshold comparison, with offsets removed.
func (c Checker) Check(q Query) Result {
	expr, err := promql.ParseExpr(q.Expr)
	if err != nil {
		return Result{Err: fmt.Errorf("does not parse: %w", err)}
	}
	withoutOffsets(expr)
	pending := map[string]bool{}
	var selectors []*parser.VectorSelector
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if c.Pending[vs.Name] {
				pending[vs.Name] = true
			} else {
				selectors = append(selectors, vs)
			}
		}
		return nil
	})
	for _, vs := range selectors {
		n, err := c.API.Samples(vs.String())
		if err != nil {
			return Result{Err: fmt.Errorf("selector %s: %w", vs, err)}
		}
		if n == 0 {
			return Result{Err: fmt.Errorf("no series for %s", vs)}
		}
	}
	if len(pending) > 0 {
		names := make([]string, 0, len(pending))
		for n := range pending {
			names = append(names, n)
		}
		sort.Strings(names)
		return Result{Pending: names}
	}
	for _, side := range dataSides(expr) {
		n, err := c.API.Samples(side.String())
		if err != nil {
			return Result{Err: fmt.Errorf("%s: %w", side, err)}
		}
		if n == 0 {
			return Result{Err: fmt.Errorf("no data for %s", side)}
		}
	}
	return Result{}
}

// RulesLoaded reports rules of the file that Prometheus did not load or cannot evaluate.
func (c Checker) RulesLoaded(queries []Query) []string {
	loaded, err := c.API.Rules()
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, q := range queries {
		r, ok := loaded[q.Rule]
		switch {
		case !ok:
			problems = append(problems, q.Rule+" is not loaded")
		case r.Health == "err":
			problems = append(problems, fmt.Sprintf("%s fails to evaluate: %s", q.Rule, r.LastError))
		}
	}
	return problems
}

// withoutOffsets removes offset modifiers, so that a fresh Prometheus can answer.
func withoutOffsets(expr parser.Expr) {
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			n.OriginalOffset, n.OriginalOffsetExpr = 0, nil
		case *parser.SubqueryExpr:
			n.OriginalOffset, n.OriginalOffsetExpr = 0, nil
		}
		return nil
	})
}

// dataSides splits an expression into the parts that must return samples: the left side of a
// filtering comparison (its right side too when it is a vector), both sides of `and` and `or`,
// the left side of `unless`; any other expression is its own data side.
func dataSides(expr parser.Expr) []parser.Expr {
	switch e := expr.(type) {
	case *parser.ParenExpr:
		return dataSides(e.Expr)
	case *parser.BinaryExpr:
		switch {
		case e.Op == parser.LAND || e.Op == parser.LOR:
			return append(dataSides(e.LHS), dataSides(e.RHS)...)
		case e.Op == parser.LUNLESS:
			return dataSides(e.LHS)
		case e.Op.IsComparisonOperator() && !e.ReturnBool:
			sides := dataSides(e.LHS)
			if e.RHS.Type() == parser.ValueTypeVector {
				sides = append(sides, dataSides(e.RHS)...)
			}
			return sides
		}
	}
	return []parser.Expr{expr}
}
