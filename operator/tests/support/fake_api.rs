//! An in-memory stand-in for the Kubernetes API behind a `kube::Client`, recording every request.
//!
//! It stores objects by URL path: GET returns them (404 otherwise), server-side apply PATCH stores
//! the body (a `/status` PATCH replaces the stored object's status), DELETE removes, POST stores.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use kube::client::Body;
use serde_json::{Value, json};

/// One recorded request: method and path with query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// HTTP method.
    pub method: Method,
    /// Path and query.
    pub uri: String,
}

/// Shared state of the fake API.
#[derive(Clone, Default)]
pub struct FakeApi {
    objects: Arc<Mutex<HashMap<String, Value>>>,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl FakeApi {
    /// A `kube::Client` talking to this fake.
    pub fn client(&self) -> kube::Client {
        let fake = self.clone();
        let service = tower::service_fn(move |req: Request<Body>| {
            let fake = fake.clone();
            async move { Ok::<_, std::convert::Infallible>(fake.handle(req).await) }
        });
        kube::Client::new(service, "default")
    }

    /// Stores an object at `path`.
    pub fn put(&self, path: &str, object: Value) {
        self.objects.lock().unwrap().insert(path.to_owned(), object);
    }

    /// Removes the object at `path`, as a deletion by someone else would.
    pub fn remove(&self, path: &str) {
        self.objects.lock().unwrap().remove(path);
    }

    /// The object at `path`.
    pub fn get(&self, path: &str) -> Option<Value> {
        self.objects.lock().unwrap().get(path).cloned()
    }

    /// Every object stored directly under the collection `path`, with `metadata.name` and
    /// `metadata.namespace` filled in from its path when a fixture left them out.
    pub fn objects_under(&self, path: &str) -> Vec<Value> {
        let prefix = format!("{path}/");
        let namespace = path
            .split('/')
            .skip_while(|part| *part != "namespaces")
            .nth(1)
            .map(str::to_owned);
        let objects = self.objects.lock().unwrap();
        let mut found: Vec<(String, Value)> = objects
            .iter()
            .filter_map(|(key, object)| {
                let name = key.strip_prefix(&prefix)?;
                (!name.contains('/')).then(|| (name.to_owned(), object.clone()))
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
            .into_iter()
            .map(|(name, mut object)| {
                if object["metadata"]["name"].is_null() {
                    object["metadata"]["name"] = json!(name);
                }
                if object["metadata"]["namespace"].is_null() {
                    object["metadata"]["namespace"] = json!(namespace);
                }
                object
            })
            .collect()
    }

    /// Returns and clears the recorded calls.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    async fn handle(&self, req: Request<Body>) -> Response<Full<Bytes>> {
        let method = req.method().clone();
        let uri = req
            .uri()
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default();
        let path = req.uri().path().to_owned();
        let body = req.into_body().collect_bytes().await.unwrap_or_default();
        self.calls.lock().unwrap().push(Call {
            method: method.clone(),
            uri,
        });
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut objects = self.objects.lock().unwrap();
        match method {
            Method::GET => match objects.get(&path) {
                Some(object) => respond(StatusCode::OK, object),
                None if is_collection(&path) => respond(StatusCode::OK, &list(&objects, &path)),
                None => not_found(),
            },
            Method::PATCH if path.ends_with("/status") => {
                let main = path.trim_end_matches("/status").to_owned();
                let Some(object) = objects.get_mut(&main) else {
                    return not_found();
                };
                object["status"] = parsed["status"].clone();
                respond(StatusCode::OK, object)
            }
            Method::PATCH | Method::POST | Method::PUT => {
                let mut object = parsed;
                let key = match (&method, object["metadata"]["name"].as_str()) {
                    (&Method::POST, Some(name)) => format!("{path}/{name}"),
                    (&Method::POST, None) => format!("{path}/{}", objects.len()),
                    _ => path,
                };
                if method == Method::POST && objects.contains_key(&key) {
                    return conflict();
                }
                let version = objects.get(&key).and_then(|o| {
                    o["metadata"]["resourceVersion"]
                        .as_str()?
                        .parse::<u64>()
                        .ok()
                });
                if method == Method::PUT
                    && object["metadata"]["resourceVersion"].as_str()
                        != version.map(|v| v.to_string()).as_deref()
                {
                    return conflict();
                }
                if method == Method::POST && object["metadata"]["uid"].is_null() {
                    object["metadata"]["uid"] = json!(format!("uid-{key}"));
                }
                object["metadata"]["generation"] = json!(1);
                object["metadata"]["resourceVersion"] =
                    json!(version.map_or(1, |v| v + 1).to_string());
                objects.insert(key, object.clone());
                respond(StatusCode::OK, &object)
            }
            Method::DELETE => match objects.remove(&path) {
                Some(object) => respond(StatusCode::OK, &object),
                None => not_found(),
            },
            _ => not_found(),
        }
    }
}

/// Collection paths end in a plural resource name right after a namespace or an API version.
fn is_collection(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let n = parts.len();
    n >= 3
        && (parts[n - 3] == "namespaces"
            || parts[0] == "api" && n == 3
            || parts[0] == "apis" && n == 4)
}

/// A list of the objects stored directly under a collection path (label selectors are ignored).
fn list(objects: &HashMap<String, Value>, path: &str) -> Value {
    let prefix = format!("{path}/");
    let mut items: Vec<(&String, &Value)> = objects
        .iter()
        .filter(|(key, _)| {
            key.strip_prefix(&prefix)
                .is_some_and(|rest| !rest.contains('/'))
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(b.0));
    let items: Vec<Value> = items
        .into_iter()
        .map(|(_, object)| object.clone())
        .collect();
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": items})
}

fn respond(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(bytes)))
        .unwrap()
}

fn conflict() -> Response<Full<Bytes>> {
    let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Conflict",
        "message": "the object has been modified", "code": 409});
    respond(StatusCode::CONFLICT, &status)
}

fn not_found() -> Response<Full<Bytes>> {
    let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
        "message": "not found", "code": 404});
    respond(StatusCode::NOT_FOUND, &status)
}
