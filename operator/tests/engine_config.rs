//! The rendered `engine.toml` of every valid sample is accepted by the engine's own config parser.

mod support;

use vexfs_operator::controller::build::render_engine_toml;
use vexfs_operator::controller::validate::validate;

#[test]
fn engine_accepts_the_rendered_config_of_every_valid_sample() {
    for sample in ["minimal.yaml", "full.yaml"] {
        let spec = validate(&support::load_sample(sample)).expect("valid sample");
        let toml = render_engine_toml(&spec).expect("renders");
        if let Err(error) = vexfs_engine::config::Config::from_toml(&toml, sample) {
            panic!("{sample}: the engine rejects the rendered engine.toml: {error}\n{toml}");
        }
    }
}
