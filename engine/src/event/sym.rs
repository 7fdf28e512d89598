//! The shared string type of events, and serde helpers that build it straight from the input
//! text (one allocation instead of serde's default `String` then `Arc` copy) for the hot string
//! fields of an event.

use serde::Deserializer;
use serde::de::{self, Visitor};
use std::fmt;
use std::sync::Arc;

/// An interned, cheaply clonable string.
pub type Sym = Arc<str>;

struct SymVisitor;

impl Visitor<'_> for SymVisitor {
    type Value = Sym;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Sym, E> {
        Ok(Sym::from(v))
    }
}

/// Deserializes a required string field.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Sym, D::Error> {
    d.deserialize_str(SymVisitor)
}

struct OptVisitor;

impl<'de> Visitor<'de> for OptVisitor {
    type Value = Option<Sym>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<Sym>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Sym>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Sym>, D::Error> {
        deserialize(d).map(Some)
    }
}

/// Deserializes an optional string field.
pub fn deserialize_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Sym>, D::Error> {
    d.deserialize_option(OptVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "deserialize")]
        a: Sym,
        #[serde(default, deserialize_with = "deserialize_opt")]
        b: Option<Sym>,
        #[serde(default, deserialize_with = "deserialize_opt")]
        c: Option<Sym>,
    }

    #[test]
    fn strings_escapes_nulls_and_absence() {
        let p: Probe = serde_json::from_str(r#"{"a":"x\"y","b":null}"#).unwrap();
        assert_eq!((&*p.a, p.b, p.c), ("x\"y", None, None));
        let p: Probe = serde_json::from_str(r#"{"a":"x","b":"z"}"#).unwrap();
        assert_eq!(p.b.as_deref(), Some("z"));
        assert!(serde_json::from_str::<Probe>(r#"{"a":1}"#).is_err());
    }
}
