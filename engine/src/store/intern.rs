//! String interning: one shared allocation per distinct source, path or id string.

use crate::event::{Event, Sym};
use ahash::HashSet;

/// Interns `Arc<str>` values; entries no longer used by any event are purged periodically.
#[derive(Default)]
pub struct Interner {
    set: HashSet<Sym>,
    purge_at: usize,
}

impl Interner {
    /// Replaces `sym` with the canonical shared copy.
    pub fn intern(&mut self, sym: &mut Sym) {
        if let Some(canon) = self.set.get(sym) {
            *sym = canon.clone();
        } else {
            self.set.insert(sym.clone());
            if self.set.len() > self.purge_at {
                self.purge();
            }
        }
    }

    /// Interns every shared string of an event.
    pub fn intern_event(&mut self, e: &mut Event) {
        self.intern(&mut e.source);
        let ctx = &mut e.context;
        for s in [
            &mut ctx.transaction_id,
            &mut ctx.session_id,
            &mut ctx.agent_id,
        ]
        .into_iter()
        .flatten()
        {
            self.intern(s);
        }
        if let Some(fs) = ctx.filesystem.as_mut() {
            self.intern(&mut fs.path);
        }
    }

    /// Drops strings only the interner still holds.
    fn purge(&mut self) {
        self.set.retain(|s| std::sync::Arc::strong_count(s) > 1);
        self.purge_at = (self.set.len() * 2).max(1024);
    }

    /// Distinct strings held.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether no string is held.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventType;
    use std::sync::Arc;

    #[test]
    fn equal_strings_share_one_allocation() {
        let mut i = Interner::default();
        let mut a = Event::new(EventType::FilesystemRead, 1, "node").with_path("/p");
        let mut b = Event::new(EventType::FilesystemRead, 1, "node").with_path("/p");
        i.intern_event(&mut a);
        i.intern_event(&mut b);
        assert!(Arc::ptr_eq(&a.source, &b.source));
        assert!(Arc::ptr_eq(&a.path().unwrap().clone(), b.path().unwrap()));
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn unused_strings_are_purged() {
        let mut i = Interner::default();
        for n in 0..5000 {
            let mut s: Sym = Sym::from(format!("s{n}"));
            i.intern(&mut s);
        }
        assert!(
            i.len() < 5000,
            "dropped strings are purged, {} left",
            i.len()
        );
    }
}
