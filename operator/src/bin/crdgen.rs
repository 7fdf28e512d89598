//! Writes the generated CRD YAML.

fn main() {}
