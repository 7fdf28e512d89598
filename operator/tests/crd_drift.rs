//! The committed CRD YAML (`crds/` and the chart's copy) equals what `crdgen` generates.

mod support;

use vexfs_operator::crdgen::{OUTPUT_DIRS, render_all};

#[test]
fn committed_crds_match_generated_output() {
    for (file, generated) in render_all().expect("renders") {
        for dir in OUTPUT_DIRS {
            let path = support::repo_root().join(dir).join(&file);
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == generated,
                "{} is stale; run `make generate`",
                path.display()
            );
        }
    }
}

/// The generated YAML of the `VexfsSemantic` CRD.
fn semantic_crd_yaml() -> String {
    let (_, yaml) = render_all()
        .expect("renders")
        .into_iter()
        .find(|(f, _)| f.starts_with("vexfssemantics"))
        .expect("crd");
    yaml
}

#[test]
fn every_crd_describes_its_kind_for_kubectl_explain() {
    for (file, yaml) in render_all().expect("renders") {
        let crd: serde_yaml::Value = serde_yaml::from_str(&yaml).expect("parses");
        let description = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(
            description.len() > 80 && !description.starts_with("Auto-generated"),
            "{file}: top-level description {description:?}"
        );
    }
}

#[test]
fn crd_has_short_name_category_and_printer_columns() {
    let yaml = semantic_crd_yaml();
    for needle in [
        "- vxs",
        "- vexfs",
        "name: Ready",
        "name: Reason",
        "name: Engine",
        "name: Last Backup",
        "name: Age",
    ] {
        assert!(yaml.contains(needle), "CRD lacks {needle:?}");
    }
}

/// Walks `node`, collecting paths of defaults inside list items and of floating-point fields.
fn convention_breaks(
    node: &serde_yaml::Value,
    path: String,
    in_items: bool,
    out: &mut Vec<String>,
) {
    match node {
        serde_yaml::Value::Mapping(map) => {
            if in_items && map.contains_key("default") {
                out.push(format!("default inside a list item at {path}"));
            }
            if map.get("type").and_then(serde_yaml::Value::as_str) == Some("number") {
                out.push(format!("float at {path}"));
            }
            for (key, value) in map {
                let key = key.as_str().unwrap_or_default();
                convention_breaks(
                    value,
                    format!("{path}.{key}"),
                    in_items || key == "items",
                    out,
                );
            }
        }
        serde_yaml::Value::Sequence(items) => {
            for (i, value) in items.iter().enumerate() {
                convention_breaks(value, format!("{path}[{i}]"), in_items, out);
            }
        }
        _ => {}
    }
}

#[test]
fn spec_schema_has_no_floats_and_no_defaults_inside_list_items() {
    let yaml = semantic_crd_yaml();
    let crd: serde_yaml::Value = serde_yaml::from_str(&yaml).expect("yaml");
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let mut breaks = Vec::new();
    convention_breaks(spec, "spec".to_owned(), false, &mut breaks);
    assert!(breaks.is_empty(), "{breaks:#?}");
    assert!(
        yaml.contains("default: 10000"),
        "scalar defaults are present"
    );
}
