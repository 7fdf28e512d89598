// Module argocd tests the Argo CD health checks under resource_customizations/ with gopher-lua,
// the Lua interpreter Argo CD runs them with.
module vexfs.invalid/monitoring/argocd

go 1.26.0

require (
	github.com/yuin/gopher-lua v1.1.2
	go.yaml.in/yaml/v3 v3.0.5
)
