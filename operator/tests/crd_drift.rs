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

#[test]
fn crd_has_short_name_category_and_printer_columns() {
    let (_, yaml) = render_all()
        .expect("renders")
        .into_iter()
        .find(|(f, _)| f.starts_with("vexfssemantics"))
        .expect("crd");
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
