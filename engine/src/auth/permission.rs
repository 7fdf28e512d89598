//! Permissions in `area:verb` form (`analytics:read`, `dashboard:write`...), the product's RBAC vocabulary.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A permission string that is not `area:verb` with a known area and verb.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown permission `{0}`: expected area:verb with area analytics, dashboard, profiler, \
     production or integrator and verb read or write"
)]
pub struct PermissionError(pub String);

/// The API area a permission covers (the product's five services).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    /// Event ingest and analytics queries.
    Analytics,
    /// Alerts and the live dashboard.
    Dashboard,
    /// The performance profile.
    Profiler,
    /// Administrative operations (backups).
    Production,
    /// Health checks and recovery (enforced by the operator; no engine route needs it today).
    Integrator,
}

/// Reading or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    /// Observe.
    Read,
    /// Change.
    Write,
}

/// One grant: `area:verb`. A write permission does not imply read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission {
    /// The area.
    pub area: Area,
    /// The verb.
    pub verb: Verb,
}

impl Permission {
    /// `area:verb`.
    pub const fn new(area: Area, verb: Verb) -> Permission {
        Permission { area, verb }
    }
}

impl Area {
    fn as_str(self) -> &'static str {
        match self {
            Area::Analytics => "analytics",
            Area::Dashboard => "dashboard",
            Area::Profiler => "profiler",
            Area::Production => "production",
            Area::Integrator => "integrator",
        }
    }

    fn parse(s: &str) -> Option<Area> {
        [
            Area::Analytics,
            Area::Dashboard,
            Area::Profiler,
            Area::Production,
            Area::Integrator,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.verb {
            Verb::Read => "read",
            Verb::Write => "write",
        };
        write!(f, "{}:{verb}", self.area.as_str())
    }
}

impl FromStr for Permission {
    type Err = PermissionError;

    fn from_str(s: &str) -> Result<Permission, PermissionError> {
        let err = || PermissionError(s.to_string());
        let (area, verb) = s.split_once(':').ok_or_else(err)?;
        let area = Area::parse(area).ok_or_else(err)?;
        let verb = match verb {
            "read" => Verb::Read,
            "write" => Verb::Write,
            _ => return Err(err()),
        };
        Ok(Permission { area, verb })
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Permission, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_product_permission_round_trips() {
        for area in [
            "analytics",
            "dashboard",
            "profiler",
            "production",
            "integrator",
        ] {
            for verb in ["read", "write"] {
                let text = format!("{area}:{verb}");
                let p: Permission = text.parse().unwrap();
                assert_eq!(p.to_string(), text);
            }
        }
    }

    #[test]
    fn malformed_permissions_are_refused_by_name() {
        for bad in [
            "analytics",
            "analytics:",
            "analytics:delete",
            "events:read",
            "Analytics:read",
            ":read",
            "analytics:read:x",
        ] {
            let err = bad.parse::<Permission>().unwrap_err();
            assert_eq!(err, PermissionError(bad.to_string()));
            assert!(err.to_string().contains(bad));
        }
    }

    #[test]
    fn serde_uses_the_string_form() {
        let p = Permission::new(Area::Profiler, Verb::Write);
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"profiler:write\"");
        let back: Permission = serde_json::from_str("\"profiler:write\"").unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<Permission>("\"profiler:run\"").is_err());
    }
}
