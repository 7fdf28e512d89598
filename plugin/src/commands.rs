//! The subcommands against the API server.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, DynamicObject, ListParams, LogParams, PostParams};
use kube::{Client, Resource};
use serde_json::Value;

use crate::cli::View;
use crate::kinds::{self, INSTANCE_LABEL, SEMANTIC_LABEL};
use crate::manifests::{self, Outcome};
use crate::{PluginError, credentials, kube_err, tree};

/// A client and the namespace commands work in.
#[derive(Clone)]
pub struct Context {
    /// The API server client.
    pub client: Client,
    /// The namespace.
    pub namespace: String,
}

/// How often waits poll.
const POLL: Duration = Duration::from_secs(1);

impl Context {
    fn dynamic(&self, resource: &kube::api::ApiResource) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.namespace, resource)
    }

    async fn get_json(&self, kind: &'static str, name: &str) -> Result<Option<Value>, PluginError> {
        let resource = if kind == "VexfsSemantic" {
            kinds::semantic()
        } else {
            kinds::backup()
        };
        let found = self
            .dynamic(&resource)
            .get_opt(name)
            .await
            .map_err(kube_err(format!(
                "reading {kind} {}/{name}",
                self.namespace
            )))?;
        Ok(found.map(|o| serde_json::to_value(o).unwrap_or_default()))
    }

    /// The generated admin token in Secret `secret`.
    async fn admin_token(&self, secret: &str) -> Result<String, PluginError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
        let found = api.get(secret).await.map_err(kube_err(format!(
            "reading the admin token Secret {}/{secret} (or pass --token-file)",
            self.namespace
        )))?;
        credentials::token_of(&found).map_err(PluginError::Invalid)
    }

    async fn require(&self, kind: &'static str, name: &str) -> Result<Value, PluginError> {
        self.get_json(kind, name)
            .await?
            .ok_or_else(|| PluginError::NotFound {
                kind,
                namespace: self.namespace.clone(),
                name: name.to_owned(),
            })
    }

    async fn list<K>(
        &self,
        selector: &str,
        into: &mut BTreeMap<String, Value>,
    ) -> Result<(), PluginError>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + std::fmt::Debug
            + serde::de::DeserializeOwned
            + serde::Serialize,
        K::DynamicType: Default,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), &self.namespace);
        let kind = K::kind(&K::DynamicType::default()).into_owned();
        let list = api
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(kube_err(format!("listing {kind}s in {}", self.namespace)))?;
        for item in list.items {
            let mut value = serde_json::to_value(&item).unwrap_or_default();
            value["kind"] = Value::String(kind.clone());
            let uid = value
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            into.insert(uid, value);
        }
        Ok(())
    }
}

/// `status NAME`: the resource, its conditions and its children as a tree.
pub async fn status(ctx: &Context, name: &str) -> Result<String, PluginError> {
    let root = ctx.require("VexfsSemantic", name).await?;
    let mut objects = BTreeMap::new();
    for selector in [
        format!("{INSTANCE_LABEL}={name}"),
        format!("{SEMANTIC_LABEL}={name}"),
    ] {
        ctx.list::<StatefulSet>(&selector, &mut objects).await?;
        ctx.list::<Service>(&selector, &mut objects).await?;
        ctx.list::<ConfigMap>(&selector, &mut objects).await?;
        ctx.list::<ServiceAccount>(&selector, &mut objects).await?;
        ctx.list::<PodDisruptionBudget>(&selector, &mut objects)
            .await?;
        ctx.list::<HorizontalPodAutoscaler>(&selector, &mut objects)
            .await?;
        ctx.list::<NetworkPolicy>(&selector, &mut objects).await?;
        ctx.list::<Pod>(&selector, &mut objects).await?;
        ctx.list::<Job>(&selector, &mut objects).await?;
    }
    let backups = ctx
        .dynamic(&kinds::backup())
        .list(&ListParams::default().labels(&format!("{SEMANTIC_LABEL}={name}")))
        .await
        .map_err(kube_err("listing VexfsBackups"))?;
    let mut objects: Vec<Value> = objects.into_values().collect();
    objects.extend(
        backups
            .items
            .into_iter()
            .map(|b| serde_json::to_value(b).unwrap_or_default()),
    );
    Ok(tree::render_status(&root, &objects))
}

/// `backup NAME`: creates an on-demand VexfsBackup and, unless `no_wait`, waits until it
/// finishes; a failed backup is an error.
pub async fn backup(
    ctx: &Context,
    name: &str,
    timeout: Duration,
    no_wait: bool,
) -> Result<String, PluginError> {
    ctx.require("VexfsSemantic", name).await?;
    let manifest: DynamicObject = serde_json::from_value(manifests::backup_manifest(name))
        .map_err(|e| PluginError::Invalid(format!("building the VexfsBackup: {e}")))?;
    let created = ctx
        .dynamic(&kinds::backup())
        .create(&PostParams::default(), &manifest)
        .await
        .map_err(kube_err(format!("creating a VexfsBackup of {name}")))?;
    let backup = created.metadata.name.unwrap_or_default();
    if no_wait {
        return Ok(format!("vexfsbackup/{backup} created"));
    }
    let started = Instant::now();
    loop {
        let current = ctx.require("VexfsBackup", &backup).await?;
        match manifests::backup_outcome(&current) {
            Outcome::Succeeded(location) => {
                return Ok(format!("vexfsbackup/{backup} succeeded: {location}"));
            }
            Outcome::Failed(message) => {
                return Err(PluginError::Failed(format!(
                    "vexfsbackup/{backup} failed: {message}"
                )));
            }
            Outcome::Running(phase) if started.elapsed() >= timeout => {
                return Err(PluginError::Failed(format!(
                    "vexfsbackup/{backup} still {phase} after {}s",
                    timeout.as_secs()
                )));
            }
            Outcome::Running(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// `restore BACKUP --to NEW`: creates a VexfsSemantic that starts from the backup.
pub async fn restore(ctx: &Context, backup: &str, to: &str) -> Result<String, PluginError> {
    let record = ctx.require("VexfsBackup", backup).await?;
    if ctx.get_json("VexfsSemantic", to).await?.is_some() {
        return Err(PluginError::Invalid(format!(
            "VexfsSemantic {}/{to} already exists; restore into a new name",
            ctx.namespace
        )));
    }
    let source_name = record
        .pointer("/spec/semanticRef")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let source = ctx.get_json("VexfsSemantic", source_name).await?;
    let manifest =
        manifests::restore_manifest(source.as_ref(), &record, to).map_err(PluginError::Invalid)?;
    let object: DynamicObject = serde_json::from_value(manifest)
        .map_err(|e| PluginError::Invalid(format!("building the VexfsSemantic: {e}")))?;
    ctx.dynamic(&kinds::semantic())
        .create(&PostParams::default(), &object)
        .await
        .map_err(kube_err(format!("creating VexfsSemantic {to}")))?;
    Ok(format!(
        "vexfssemantic/{to} created, restoring from vexfsbackup/{backup}; follow it with `kubectl vexfs status {to}`"
    ))
}

/// `analytics NAME VIEW`: GETs the view from the engine through the API server's service proxy.
/// A token goes in `X-Vexfs-Authorization`, since the API server consumes `Authorization`.
/// Without `token`, the operator's generated admin token is read from the Secret named in the
/// resource's status (which needs `get` on that Secret).
pub async fn analytics(
    ctx: &Context,
    name: &str,
    view: View,
    token: Option<String>,
) -> Result<String, PluginError> {
    let semantic = ctx.require("VexfsSemantic", name).await?;
    let token = match (token, credentials::admin_token_secret(&semantic)) {
        (Some(token), _) => Some(token),
        (None, Some(secret)) => Some(ctx.admin_token(secret).await?),
        (None, None) => None,
    };
    let path = credentials::proxy_path(&semantic, &ctx.namespace, name, view.path());
    let mut request = http::Request::get(&path);
    if let Some(token) = token {
        request = request.header("X-Vexfs-Authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(Vec::new())
        .map_err(|e| PluginError::Invalid(format!("building the request for {path}: {e}")))?;
    let body = ctx
        .client
        .request_text(request)
        .await
        .map_err(kube_err(format!(
            "GET {path} (through the API server's service proxy)"
        )))?;
    Ok(match serde_json::from_str::<Value>(&body) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or(body),
        Err(_) => body,
    })
}

/// `logs NAME`: the last `tail` lines of each engine pod, prefixed with the pod's name.
pub async fn logs(ctx: &Context, name: &str, tail: i64) -> Result<String, PluginError> {
    ctx.require("VexfsSemantic", name).await?;
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &ctx.namespace);
    let selector = format!("{INSTANCE_LABEL}={name},app.kubernetes.io/component=engine");
    let list = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(kube_err("listing the engine pods"))?;
    if list.items.is_empty() {
        return Err(PluginError::Failed(format!(
            "{name} has no engine pods (stopped, or not reconciled yet)"
        )));
    }
    let mut out = String::new();
    for pod in list.items {
        let pod_name = pod.metadata.name.unwrap_or_default();
        let params = LogParams {
            container: Some("engine".to_owned()),
            tail_lines: Some(tail),
            ..LogParams::default()
        };
        let text = pods
            .logs(&pod_name, &params)
            .await
            .map_err(kube_err(format!("reading the logs of pod {pod_name}")))?;
        for line in text.lines() {
            out.push_str(&format!("[{pod_name}] {line}\n"));
        }
    }
    Ok(out)
}
