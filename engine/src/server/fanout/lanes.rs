//! K-way merge of the replicas' pages (events, anomaly records) and the composite cursor.
//!
//! Ids are per replica, so the cursor holds one position per replica: the replica's own cursor
//! after the last of its items the client has seen (absent: from its start). A page asks every
//! replica for `limit` items after its position, merges the heads in the endpoint's order (ties
//! by ordinal), keeps the first `limit`, and advances each replica's position past exactly the
//! items it contributed. Each replica's items are consumed in its own order, one position at a
//! time, so paging never skips or repeats an item. The cursor is opaque: base64url of a JSON
//! array of positions, one per ordinal.

use super::FanoutError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::cmp::Ordering;

/// One replica's page after its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane<T> {
    /// The replica.
    pub ordinal: u32,
    /// Its items after its position, in the endpoint's order.
    pub items: Vec<T>,
    /// Its own cursor after these items; `None` when it has nothing more.
    pub next: Option<String>,
}

/// Every replica's position, by ordinal (`None`: from the start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Positions(pub Vec<Option<String>>);

impl Positions {
    /// The first page: every replica from its start.
    pub fn start(replicas: u32) -> Positions {
        Positions(vec![None; replicas as usize])
    }

    /// Reads a cursor this endpoint returned for a cluster of `replicas` replicas.
    pub fn parse(text: &str, replicas: u32) -> Result<Positions, FanoutError> {
        let bad = || FanoutError::Cursor(text.to_owned());
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let list: Vec<Option<String>> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if list.len() != replicas as usize {
            return Err(bad());
        }
        Ok(Positions(list))
    }

    /// The cursor text.
    pub fn render(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }

    /// Replica `ordinal`'s position.
    pub fn of(&self, ordinal: u32) -> Option<&str> {
        self.0.get(ordinal as usize).and_then(Option::as_deref)
    }

    /// The query replica `ordinal` is asked: `base` (the caller's parameters without `cursor`
    /// and `scope`) plus the replica's own position as its `cursor`, if it has one.
    pub fn query_for(&self, base: &[(String, String)], ordinal: u32) -> Vec<(String, String)> {
        let mut query = base.to_vec();
        if let Some(position) = self.of(ordinal) {
            query.push(("cursor".into(), position.to_owned()));
        }
        query
    }
}

/// A merged page.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged<T> {
    /// Its items, in order.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` when no answering replica has more.
    pub next: Option<Positions>,
}

/// Merges the `lanes` of the replicas that answered (the others keep their position in
/// `before`): at most `limit` items, smallest first by `order` then ordinal. `position_of`
/// gives a replica's cursor after one of its items.
pub fn merge<T>(
    lanes: Vec<Lane<T>>,
    before: &Positions,
    limit: usize,
    order: impl Fn(&T, &T) -> Ordering,
    position_of: impl Fn(&T) -> String,
) -> Merged<T> {
    let mut heads: Vec<(u32, std::vec::IntoIter<T>, Option<String>, usize)> = lanes
        .into_iter()
        .map(|l| {
            let n = l.items.len();
            (l.ordinal, l.items.into_iter(), l.next, n)
        })
        .collect();
    let mut peeked: Vec<Option<T>> = heads.iter_mut().map(|h| h.1.next()).collect();
    let mut taken = vec![0usize; heads.len()];
    let mut last: Vec<Option<String>> = vec![None; heads.len()];
    let mut items = Vec::new();
    while items.len() < limit {
        let best = (0..heads.len())
            .filter(|&i| peeked[i].is_some())
            .min_by(|&a, &b| match (&peeked[a], &peeked[b]) {
                (Some(x), Some(y)) => order(x, y).then(heads[a].0.cmp(&heads[b].0)),
                _ => Ordering::Equal,
            });
        let Some(i) = best else { break };
        let Some(item) = peeked[i].take() else { break };
        peeked[i] = heads[i].1.next();
        taken[i] += 1;
        last[i] = Some(position_of(&item));
        items.push(item);
    }
    let mut positions = before.clone();
    let mut more = false;
    for (i, (ordinal, _, next, len)) in heads.into_iter().enumerate() {
        let all_taken = taken[i] == len;
        let position = if all_taken && next.is_some() {
            more = true;
            next
        } else {
            more |= !all_taken;
            last[i]
                .take()
                .or_else(|| before.of(ordinal).map(str::to_owned))
        };
        if let Some(slot) = positions.0.get_mut(ordinal as usize) {
            *slot = position;
        }
    }
    Merged {
        items,
        next: more.then_some(positions),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replica `ordinal` holds items `(time, id)`; answers `limit` after `position` (an id).
    fn lane(
        ordinal: u32,
        all: &[(i64, u64)],
        position: Option<&str>,
        limit: usize,
    ) -> Lane<(i64, u64)> {
        let after: Option<u64> = position.map(|p| p.parse().expect("id"));
        let rest: Vec<(i64, u64)> = all
            .iter()
            .filter(|(_, id)| after.is_none_or(|a| *id > a))
            .copied()
            .collect();
        let items: Vec<(i64, u64)> = rest.iter().take(limit).copied().collect();
        let next = (rest.len() > limit)
            .then(|| items.last().map(|i| i.1.to_string()))
            .flatten();
        Lane {
            ordinal,
            items,
            next,
        }
    }

    fn page_all(replicas: &[Vec<(i64, u64)>], limit: usize) -> Vec<(u32, i64, u64)> {
        let mut positions = Positions::start(replicas.len() as u32);
        let mut seen = Vec::new();
        loop {
            let lanes = replicas
                .iter()
                .enumerate()
                .map(|(o, all)| {
                    let l = lane(o as u32, all, positions.of(o as u32), limit);
                    Lane {
                        ordinal: l.ordinal,
                        items: l
                            .items
                            .into_iter()
                            .map(|(t, id)| (o as u32, t, id))
                            .collect(),
                        next: l.next,
                    }
                })
                .collect();
            let page = merge(
                lanes,
                &positions,
                limit,
                |a: &(u32, i64, u64), b| a.1.cmp(&b.1),
                |item| item.2.to_string(),
            );
            assert!(page.items.len() <= limit);
            seen.extend(page.items);
            match page.next {
                Some(next) => {
                    let text = next.render();
                    positions = Positions::parse(&text, replicas.len() as u32).expect("own cursor");
                }
                None => return seen,
            }
        }
    }

    #[test]
    fn paging_never_skips_or_repeats_and_merges_by_time() {
        let a: Vec<(i64, u64)> = (1..=23).map(|i| (i * 3, i as u64)).collect();
        let b: Vec<(i64, u64)> = (1..=7).map(|i| (i * 10, i as u64)).collect();
        let c: Vec<(i64, u64)> = (1..=15).map(|i| (i * 3, i as u64)).collect();
        for limit in [1, 2, 5, 100] {
            let got = page_all(&[a.clone(), b.clone(), c.clone()], limit);
            assert_eq!(got.len(), 45, "limit {limit}");
            let mut keys: Vec<(u32, u64)> = got.iter().map(|(o, _, id)| (*o, *id)).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), 45, "limit {limit}: no repeats");
            let times: Vec<(i64, u32)> = got.iter().map(|(o, t, _)| (*t, *o)).collect();
            assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "limit {limit}: by time, then ordinal"
            );
        }
    }

    #[test]
    fn a_missing_replica_keeps_its_position() {
        let before = Positions(vec![Some("4".into()), Some("9".into())]);
        let lanes = vec![Lane {
            ordinal: 0,
            items: vec![(1, 5u64), (2, 6)],
            next: None,
        }];
        let page = merge(
            lanes,
            &before,
            10,
            |a: &(i64, u64), b| a.cmp(b),
            |i| i.1.to_string(),
        );
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next, None, "no answering replica has more");
        let lanes = vec![Lane {
            ordinal: 0,
            items: vec![(1, 5u64), (2, 6)],
            next: None,
        }];
        let page = merge(
            lanes,
            &before,
            1,
            |a: &(i64, u64), b| a.cmp(b),
            |i| i.1.to_string(),
        );
        assert_eq!(
            page.next,
            Some(Positions(vec![Some("5".into()), Some("9".into())]))
        );
    }

    #[test]
    fn foreign_cursors_are_refused() {
        let text = Positions(vec![Some("1".into()), None]).render();
        assert!(Positions::parse(&text, 2).is_ok());
        assert!(matches!(
            Positions::parse(&text, 3),
            Err(FanoutError::Cursor(_))
        ));
        assert!(matches!(
            Positions::parse("not base64!", 2),
            Err(FanoutError::Cursor(_))
        ));
    }
}
