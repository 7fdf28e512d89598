package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// API is a minimal client of the Prometheus HTTP API.
type API struct {
	Base string
}

var client = &http.Client{Timeout: 30 * time.Second}

type envelope struct {
	Status string          `json:"status"`
	Error  string          `json:"error"`
	Data   json.RawMessage `json:"data"`
}

func (a API) get(path string, params url.Values, into any) error {
	resp, err := client.Get(a.Base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s answered %d with non-JSON: %.200s", path, resp.StatusCode, body)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s", path, env.Error)
	}
	return json.Unmarshal(env.Data, into)
}

// Samples evaluates an instant query and returns how many samples (or 1 for a scalar) it gave.
func (a API) Samples(query string) (int, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := a.get("/api/v1/query", url.Values{"query": {query}}, &data); err != nil {
		return 0, err
	}
	switch data.ResultType {
	case "vector", "matrix":
		var items []json.RawMessage
		if err := json.Unmarshal(data.Result, &items); err != nil {
			return 0, err
		}
		return len(items), nil
	default:
		return 1, nil
	}
}

// LoadedRule is one rule as Prometheus reports it under /api/v1/rules.
type LoadedRule struct {
	Name      string `json:"name"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

// Rules lists the rules Prometheus loaded, by name.
func (a API) Rules() (map[string]LoadedRule, error) {
	var data struct {
		Groups []struct {
			Rules []LoadedRule `json:"rules"`
		} `json:"groups"`
	}
	if err := a.get("/api/v1/rules", url.Values{}, &data); err != nil {
		return nil, err
	}
	out := map[string]LoadedRule{}
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			out[r.Name] = r
		}
	}
	return out, nil
}
