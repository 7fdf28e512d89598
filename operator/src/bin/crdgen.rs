//! Writes the generated CRD YAML to `crds/` and the Helm chart's `crds/` directory.
//!
//! Usage: `crdgen [REPO_ROOT]` (defaults to the current directory).

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let root = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    for (file, yaml) in vexfs_operator::crdgen::render_all()? {
        for dir in vexfs_operator::crdgen::OUTPUT_DIRS {
            let dir = root.join(dir);
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join(&file), &yaml)?;
            println!("wrote {}", dir.join(&file).display());
        }
    }
    Ok(())
}
