//! The chart's `childImages` defaults are the operator's own image defaults, so an installation
//! that sets nothing runs what an operator started without flags would.

mod support;

use vexfs_operator::spec::images::Images;

#[test]
fn chart_child_images_match_the_operator_defaults() {
    let path = support::repo_root().join("charts/vexfs-operator/values.yaml");
    let text = std::fs::read_to_string(&path).expect("chart values");
    let values: serde_yaml::Value = serde_yaml::from_str(&text).expect("values parse");
    let image = |key: &str| {
        values["childImages"][key]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no childImages.{key}", path.display()))
            .to_owned()
    };
    let defaults = Images::default();
    assert_eq!(
        (image("engine"), image("awsCli"), image("shell")),
        (defaults.engine, defaults.aws_cli, defaults.shell),
        "charts/vexfs-operator/values.yaml childImages differ from spec/images.rs"
    );
}
