// Runs every resource_customizations/<group>/<Kind>/health.lua on the fixtures its
// health_test.yaml lists, the way Argo CD runs a health check configured in argocd-cm without
// useOpenLibs: only the package, base and table libraries are open, the object is the global
// `obj`, and the script returns a table with `status` and `message`.
package argocd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"go.yaml.in/yaml/v3"
)

// HealthStatus is what a health script returns.
type HealthStatus struct {
	Status  string `yaml:"status"`
	Message string `yaml:"message"`
}

type healthTests struct {
	Tests []struct {
		HealthStatus HealthStatus `yaml:"healthStatus"`
		InputPath    string       `yaml:"inputPath"`
	} `yaml:"tests"`
}

var validStatus = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true,
	"Missing": true, "Unknown": true,
}

// runHealth evaluates script with obj as the global `obj`.
func runHealth(script string, obj map[string]any) (HealthStatus, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{
		lua.LoadLibName: lua.OpenPackage, lua.BaseLibName: lua.OpenBase, lua.TabLibName: lua.OpenTable,
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(open), Protect: true}, lua.LString(name)); err != nil {
			return HealthStatus{}, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return HealthStatus{}, err
	}
	table, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return HealthStatus{}, fmt.Errorf("the script returned %s, not a table", l.Get(-1).Type())
	}
	hs := HealthStatus{
		Status:  lua.LVAsString(table.RawGetString("status")),
		Message: lua.LVAsString(table.RawGetString("message")),
	}
	if !validStatus[hs.Status] {
		return hs, fmt.Errorf("invalid health status %q", hs.Status)
	}
	return hs, nil
}

// toLua converts a decoded YAML or JSON value as Argo CD does: numbers, strings, booleans,
// lists and maps; anything else is nil.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case int:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

func readYAML(path string, into any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func TestHealthChecks(t *testing.T) {
	dirs, err := filepath.Glob("resource_customizations/*/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no health checks under resource_customizations/")
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
			if err != nil {
				t.Fatal(err)
			}
			var tests healthTests
			if err := readYAML(filepath.Join(dir, "health_test.yaml"), &tests); err != nil {
				t.Fatal(err)
			}
			if len(tests.Tests) == 0 {
				t.Fatal("health_test.yaml lists no tests")
			}
			seen := map[string]bool{}
			for _, tc := range tests.Tests {
				var obj map[string]any
				if err := readYAML(filepath.Join(dir, tc.InputPath), &obj); err != nil {
					t.Fatal(err)
				}
				got, err := runHealth(string(script), obj)
				if err != nil {
					t.Errorf("%s: %v", tc.InputPath, err)
					continue
				}
				if got != tc.HealthStatus {
					t.Errorf("%s: got %+v, want %+v", tc.InputPath, got, tc.HealthStatus)
				}
				seen[got.Status] = true
			}
			for _, status := range []string{"Healthy", "Progressing", "Degraded"} {
				if !seen[status] {
					t.Errorf("no fixture shows %s", status)
				}
			}
		})
	}
}

func TestScriptsThatBreakTheContractAreReported(t *testing.T) {
	obj := map[string]any{"metadata": map[string]any{"name": "x"}}
	if _, err := runHealth(`return "Healthy"`, obj); err == nil {
		t.Error("a string return value was accepted")
	}
	if _, err := runHealth(`return {status = "Fine"}`, obj); err == nil {
		t.Error("an unknown status was accepted")
	}
	if _, err := runHealth(`return {status = string.upper("healthy")}`, obj); err == nil {
		t.Error("the string library is open, unlike in Argo CD without useOpenLibs")
	}
}
