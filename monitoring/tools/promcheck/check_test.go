package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func sides(t *testing.T, expr string) []string {
	t.Helper()
	e, err := promql.ParseExpr(expr)
	if err != nil {
		t.Fatal(err)
	}
	withoutOffsets(e)
	var out []string
	for _, s := range dataSides(e) {
		out = append(out, s.String())
	}
	return out
}

func TestDataSidesDropThresholdsAndOffsets(t *testing.T) {
	cases := map[string][]string{
		`up == 0`:                         {`up`},
		`a / b > 0.8`:                     {`a / b`},
		`a > bool 1`:                      {`a > bool 1`},
		`rate(x[5m]) > y`:                 {`rate(x[5m])`, `y`},
		`a > 1 and b < 2`:                 {`a`, `b`},
		`a > 0 or (b unless b offset 1h)`: {`a`, `b`},
		`(x offset 5m)`:                   {`x`},
	}
	for expr, want := range cases {
		if got := sides(t, expr); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", expr, got, want)
		}
	}
}

func TestDashboardVariablesAreSubstituted(t *testing.T) {
	file := filepath.Join(t.TempDir(), "d.json")
	body := `{"title":"T","uid":"u","templating":{"list":[
	  {"name":"namespace","type":"query","query":{"query":"label_values(vexfs_ready, namespace)"}},
	  {"name":"datasource","type":"datasource","query":"prometheus"}]},
	 "panels":[{"title":"row","panels":[{"title":"p","targets":[
	  {"refId":"A","expr":"rate(x{namespace=~\"$namespace\",pod=~\"${pod}\"}[$__rate_interval])"}]}]}]}`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := DashboardQueries(file, "30s")
	if err != nil {
		t.Fatal(err)
	}
	want := []Query{
		{Where: "d.json variable namespace", Expr: "vexfs_ready"},
		{Where: `d.json panel "p" A`, Expr: `rate(x{namespace=~".*",pod=~".*"}[30s])`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestDashboardWithoutUIDIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "d.json")
	if err := os.WriteFile(file, []byte(`{"title":"T","panels":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := DashboardQueries(file, "1m"); err == nil {
		t.Fatal("accepted a dashboard without uid")
	}
}
