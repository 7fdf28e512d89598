//! The samples in `config/samples/`: valid ones validate, each invalid one fails with its `# expect:` message.

mod support;

use vexfs_operator::spec::images::Images;
use vexfs_operator::spec::validate;

#[test]
fn valid_samples_validate() {
    for file in [
        "minimal.yaml",
        "full.yaml",
        "clustered.yaml",
        "autoscaled.yaml",
    ] {
        validate(&support::load_sample(file), &Images::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

#[test]
fn every_invalid_sample_is_rejected_with_its_expected_message() {
    let files = support::samples("invalid-");
    assert!(
        files.len() >= 9,
        "expected at least nine invalid samples, found {}",
        files.len()
    );
    for file in files {
        let expected = support::expected_message(&file);
        let err = validate(&support::load_sample(&file), &Images::default())
            .expect_err(&file)
            .to_string();
        assert!(
            err.contains(&expected),
            "{file}: {err:?} does not contain {expected:?}"
        );
    }
}

#[test]
fn every_expected_message_appears_as_a_cel_rule_message_in_the_crd() {
    let crd =
        std::fs::read_to_string(support::repo_root().join("crds/vexfssemantics.vexfs.io.yaml"))
            .expect("crd");
    for file in support::samples("invalid-") {
        let expected = support::expected_message(&file);
        assert!(
            crd.contains(&format!("message: {expected}")),
            "{file}: no CEL rule says {expected:?}"
        );
    }
}
