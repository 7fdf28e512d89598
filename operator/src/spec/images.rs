//! The container images the operator runs: the engine (also the backup and restore container),
//! the `aws` CLI for S3 transfers, and a shell image for archive cleanup on volumes. Each has a
//! default and an operator flag, so an air-gapped cluster can point them at its own registry.

use thiserror::Error;

/// Default engine image, for resources that do not set `spec.engine.image`.
pub const ENGINE: &str = "ghcr.io/vexfs/vexfs-engine:0.1.0";
/// Default `aws` CLI image (S3 uploads, downloads and deletions).
pub const AWS_CLI: &str = "docker.io/amazon/aws-cli:2.22.35";
/// Default shell image (deleting archives from a backup volume).
pub const SHELL: &str = "docker.io/library/busybox:1.37";

/// An image reference that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImageError {
    /// Empty, or containing whitespace.
    #[error("{flag}: {value:?} is not an image reference (empty or containing whitespace)")]
    Invalid {
        /// The flag that carried it.
        flag: &'static str,
        /// The value given.
        value: String,
    },
}

/// The images the operator's children run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Engine image for resources without `spec.engine.image`.
    pub engine: String,
    /// `aws` CLI image.
    pub aws_cli: String,
    /// Shell image.
    pub shell: String,
}

impl Default for Images {
    fn default() -> Self {
        Self {
            engine: ENGINE.to_owned(),
            aws_cli: AWS_CLI.to_owned(),
            shell: SHELL.to_owned(),
        }
    }
}

impl Images {
    /// The three images, each checked to be a plausible reference.
    pub fn new(engine: &str, aws_cli: &str, shell: &str) -> Result<Self, ImageError> {
        Ok(Self {
            engine: checked("--engine-image", engine)?,
            aws_cli: checked("--aws-cli-image", aws_cli)?,
            shell: checked("--shell-image", shell)?,
        })
    }

    /// These images with the engine image of one resource, when it sets one.
    #[must_use]
    pub fn for_engine(&self, engine: Option<&str>) -> Self {
        Self {
            engine: engine.unwrap_or(&self.engine).to_owned(),
            ..self.clone()
        }
    }
}

fn checked(flag: &'static str, value: &str) -> Result<String, ImageError> {
    if value.is_empty() || value.chars().any(char::is_whitespace) {
        return Err(ImageError::Invalid {
            flag,
            value: value.to_owned(),
        });
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_published_images() {
        let images = Images::new(ENGINE, AWS_CLI, SHELL).expect("valid");
        assert_eq!(images, Images::default());
    }

    #[test]
    fn a_resource_image_wins_over_the_operator_default() {
        let images = Images::new("registry.local/engine:1", AWS_CLI, SHELL).expect("valid");
        assert_eq!(images.for_engine(None).engine, "registry.local/engine:1");
        assert_eq!(images.for_engine(Some("mine:2")).engine, "mine:2");
        assert_eq!(images.for_engine(Some("mine:2")).aws_cli, AWS_CLI);
    }

    #[test]
    fn empty_or_spaced_references_are_refused_naming_the_flag() {
        let err = Images::new(ENGINE, "", SHELL).expect_err("empty");
        assert!(err.to_string().starts_with("--aws-cli-image"), "{err}");
        assert!(Images::new(ENGINE, AWS_CLI, "busy box").is_err());
    }
}
