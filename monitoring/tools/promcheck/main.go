// Command promcheck checks alert rules and Grafana dashboards against a running Prometheus: every
// expression parses, every series it selects exists, and the data side of every expression (the
// expression without its threshold comparison) returns samples. It also checks that Prometheus
// loaded each rule of the rule file and evaluates it without error. Metric names given with
// -pending (not exported yet by this version) are reported but not required.
//
//	promcheck -url http://127.0.0.1:9090 -rules vexfs.rules.yaml -dashboards dir -pending a,b
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	url := flag.String("url", "", "base URL of the Prometheus to query")
	rules := flag.String("rules", "", "Prometheus rule file")
	dashboards := flag.String("dashboards", "", "directory of Grafana dashboard JSON files")
	pending := flag.String("pending", "", "comma-separated metric names not exported yet")
	interval := flag.String("rate-interval", "1m", "value substituted for $__rate_interval and $__interval")
	flag.Parse()
	if *url == "" || (*rules == "" && *dashboards == "") {
		fmt.Fprintln(os.Stderr, "usage: promcheck -url URL [-rules FILE] [-dashboards DIR] [-pending NAMES]")
		os.Exit(2)
	}
	checker := Checker{API: API{Base: strings.TrimRight(*url, "/")}, Pending: names(*pending)}
	var queries []Query
	failed := false
	if *rules != "" {
		rq, err := RuleQueries(*rules)
		if err != nil {
			fatal(err)
		}
		queries = append(queries, rq...)
		for _, problem := range checker.RulesLoaded(rq) {
			fmt.Printf("FAIL rules  %s\n", problem)
			failed = true
		}
	}
	if *dashboards != "" {
		files, err := filepath.Glob(filepath.Join(*dashboards, "*.json"))
		if err != nil {
			fatal(err)
		}
		if len(files) == 0 {
			fatal(fmt.Errorf("no dashboards in %s", *dashboards))
		}
		sort.Strings(files)
		for _, file := range files {
			dq, err := DashboardQueries(file, *interval)
			if err != nil {
				fatal(err)
			}
			queries = append(queries, dq...)
		}
	}
	var ok, pendingCount int
	for _, q := range queries {
		result := checker.Check(q)
		switch {
		case result.Err != nil:
			failed = true
			fmt.Printf("FAIL %s: %v\n     %s\n", q.Where, result.Err, oneLine(q.Expr))
		case len(result.Pending) > 0:
			pendingCount++
			fmt.Printf("PEND %s (waits for %s)\n", q.Where, strings.Join(result.Pending, ", "))
		default:
			ok++
			fmt.Printf("ok   %s\n", q.Where)
		}
	}
	fmt.Printf("%d queries: %d with data, %d pending, %d failed\n", len(queries), ok, pendingCount,
		len(queries)-ok-pendingCount)
	if failed {
		os.Exit(1)
	}
}

func names(list string) map[string]bool {
	out := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out[n] = true
		}
	}
	return out
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "promcheck:", err)
	os.Exit(2)
}
