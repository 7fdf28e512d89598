//! The ConfigMap holding `engine.toml`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;

use crate::spec::ValidatedSpec;
use crate::spec::names::child_meta;

/// Key (and file name) of the engine configuration.
pub const CONFIG_FILE: &str = "engine.toml";

/// Name of the ConfigMap.
pub fn config_map_name(spec: &ValidatedSpec) -> String {
    format!("{}-config", spec.name)
}

/// The ConfigMap carrying the rendered `engine.toml`.
pub fn config_map(spec: &ValidatedSpec, engine_toml: String) -> ConfigMap {
    ConfigMap {
        metadata: child_meta(spec, config_map_name(spec), "config"),
        data: Some(BTreeMap::from([(CONFIG_FILE.to_owned(), engine_toml)])),
        ..ConfigMap::default()
    }
}
