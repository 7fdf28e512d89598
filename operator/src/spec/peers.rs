//! Checks of `spec.networkPolicy`'s peers that the CRD schema cannot make: CIDR ranges and label
//! selectors the NetworkPolicy API would refuse. Catching them here stalls the resource with a
//! message naming the field, instead of failing every apply of the child.

use std::net::IpAddr;

use crate::crd::{IpBlock, NetworkPeer, NetworkPolicySpec, messages};

/// A peer the NetworkPolicy API would refuse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PeerError {
    /// JSON path of the offending field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// An address range: the network address and the prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The address as written.
    pub address: IpAddr,
    /// Leading bits that name the network.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x:y::z/n`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (address, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not in CIDR notation (address/prefix)"))?;
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} does not start with an IPv4 or IPv6 address"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| format!("{text:?} has a prefix length outside 0..={max}"))?;
        Ok(Self { address, prefix })
    }

    /// Whether `other` lies inside this range and is strictly narrower.
    pub fn strictly_contains(&self, other: &Self) -> bool {
        self.address.is_ipv4() == other.address.is_ipv4()
            && other.prefix > self.prefix
            && self.network_bits() == other.bits_under(self.prefix)
    }

    fn network_bits(&self) -> u128 {
        self.bits_under(self.prefix)
    }

    /// The address's leading `prefix` bits, left-aligned in 128 bits (IPv4 in the top 32).
    fn bits_under(&self, prefix: u8) -> u128 {
        let bits = match self.address {
            IpAddr::V4(v4) => u128::from(u32::from(v4)) << 96,
            IpAddr::V6(v6) => u128::from(v6),
        };
        match prefix {
            0 => 0,
            128.. => bits,
            n => bits & !(u128::MAX >> n),
        }
    }
}

/// Checks every peer of `spec`, in field order.
pub fn check_peers(spec: &NetworkPolicySpec) -> Result<(), PeerError> {
    let lists = [
        ("ingestFrom", &spec.ingest_from),
        ("queryFrom", &spec.query_from),
        ("metricsFrom", &spec.metrics_from),
    ];
    for (list, peers) in lists {
        for (i, peer) in peers.iter().enumerate() {
            check_peer(&format!("spec.networkPolicy.{list}[{i}]"), peer)?;
        }
    }
    Ok(())
}

fn check_peer(path: &str, peer: &NetworkPeer) -> Result<(), PeerError> {
    let selects_pods = peer.namespace_selector.is_some() || peer.pod_selector.is_some();
    if selects_pods == peer.ip_block.is_some() {
        return Err(PeerError {
            field: path.to_owned(),
            message: messages::ONE_PEER_KIND.to_owned(),
        });
    }
    let selectors = [
        ("namespaceSelector", &peer.namespace_selector),
        ("podSelector", &peer.pod_selector),
    ];
    for (name, selector) in selectors {
        for (key, value) in selector.iter().flatten() {
            check_label(key, value).map_err(|message| PeerError {
                field: format!("{path}.{name}"),
                message,
            })?;
        }
    }
    match &peer.ip_block {
        Some(block) => check_ip_block(&format!("{path}.ipBlock"), block),
        None => Ok(()),
    }
}

fn check_ip_block(path: &str, block: &IpBlock) -> Result<(), PeerError> {
    let at = |field: String| move |message| PeerError { field, message };
    let range = Cidr::parse(&block.cidr).map_err(at(format!("{path}.cidr")))?;
    for (i, except) in block.except.iter().enumerate() {
        let field = format!("{path}.except[{i}]");
        let inner = Cidr::parse(except).map_err(at(field.clone()))?;
        if !range.strictly_contains(&inner) {
            return Err(PeerError {
                field,
                message: format!("{except:?} is not a narrower range inside {:?}", block.cidr),
            });
        }
    }
    Ok(())
}

/// A label key (`[prefix/]name`) and value the API server accepts.
fn check_label(key: &str, value: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix
        .is_none_or(|p| p.len() <= 253 && p.split('.').all(|part| is_label_name(part, false)));
    if !prefix_ok || !is_label_name(name, true) {
        return Err(format!("{key:?} is not a valid label key"));
    }
    if !value.is_empty() && !is_label_name(value, true) {
        return Err(format!("label {key:?} has the invalid value {value:?}"));
    }
    Ok(())
}

/// 1–63 alphanumerics, with `-` (and `_`, `.` when `extended`) inside.
fn is_label_name(text: &str, extended: bool) -> bool {
    let inner = |c: char| c.is_ascii_alphanumeric() || c == '-' || extended && "_.".contains(c);
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let lower_ok = extended || !text.chars().any(|c| c.is_ascii_uppercase());
    (1..=63).contains(&text.len())
        && edge(text.chars().next())
        && edge(text.chars().last())
        && text.chars().all(inner)
        && lower_ok
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn block(cidr: &str, except: &[&str]) -> NetworkPeer {
        NetworkPeer {
            ip_block: Some(IpBlock {
                cidr: cidr.to_owned(),
                except: except.iter().map(|s| (*s).to_owned()).collect(),
            }),
            ..NetworkPeer::default()
        }
    }

    fn pods(labels: &[(&str, &str)]) -> NetworkPeer {
        NetworkPeer {
            pod_selector: Some(
                labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            ..NetworkPeer::default()
        }
    }

    fn check(peer: NetworkPeer) -> Result<(), PeerError> {
        check_peers(&NetworkPolicySpec {
            metrics_from: vec![pods(&[("app", "prometheus")]), peer],
            ..NetworkPolicySpec::default()
        })
    }

    #[test]
    fn valid_peers_pass() {
        assert_eq!(check(block("10.0.0.0/8", &["10.1.0.0/16"])), Ok(()));
        assert_eq!(check(block("2001:db8::/32", &["2001:db8:1::/48"])), Ok(()));
        assert_eq!(check(block("0.0.0.0/0", &[])), Ok(()));
        assert_eq!(
            check(pods(&[("app.kubernetes.io/name", "agent"), ("tier", "")])),
            Ok(())
        );
    }

    #[test]
    fn a_bad_cidr_names_the_field_and_the_value() {
        let error = check(block("10.0.0.0/33", &[])).expect_err("prefix too long");
        assert_eq!(
            error.field,
            "spec.networkPolicy.metricsFrom[1].ipBlock.cidr"
        );
        assert!(error.message.contains("\"10.0.0.0/33\""), "{error}");
        assert!(check(block("10.0.0.0", &[])).is_err(), "no prefix");
        assert!(check(block("ten/8", &[])).is_err(), "no address");
    }

    #[test]
    fn an_exception_must_lie_strictly_inside_the_range() {
        let outside = check(block("10.0.0.0/16", &["10.2.0.0/24"])).expect_err("outside");
        assert_eq!(
            outside.field,
            "spec.networkPolicy.metricsFrom[1].ipBlock.except[0]"
        );
        assert!(
            check(block("10.0.0.0/16", &["10.0.0.0/16"])).is_err(),
            "same"
        );
        assert!(
            check(block("10.0.0.0/16", &["2001:db8::/64"])).is_err(),
            "family"
        );
    }

    #[test]
    fn a_peer_is_pods_or_a_range_but_not_both_or_neither() {
        let mut both = block("10.0.0.0/8", &[]);
        both.namespace_selector = Some(BTreeMap::new());
        let error = check(both).expect_err("both");
        assert_eq!(error.message, messages::ONE_PEER_KIND);
        assert!(check(NetworkPeer::default()).is_err(), "neither");
    }

    #[test]
    fn invalid_labels_are_refused() {
        for (key, value) in [
            ("-app", "x"),
            ("app", "bad value"),
            ("Example.COM/app", "x"),
            ("a/b/c", "x"),
        ] {
            let error = check(pods(&[(key, value)])).expect_err(key);
            assert_eq!(error.field, "spec.networkPolicy.metricsFrom[1].podSelector");
        }
    }

    #[test]
    fn containment_works_across_the_prefix_lengths() {
        let wide = Cidr::parse("192.168.0.0/16").expect("cidr");
        assert!(wide.strictly_contains(&Cidr::parse("192.168.255.0/24").expect("cidr")));
        assert!(!wide.strictly_contains(&Cidr::parse("192.169.0.0/24").expect("cidr")));
        let all = Cidr::parse("::/0").expect("cidr");
        assert!(all.strictly_contains(&Cidr::parse("::1/128").expect("cidr")));
    }
}
