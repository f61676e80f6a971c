//! Finding repeats of a file's unique key (order_id, assessment_id,
//! test_id) over tens of millions of rows.

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap;

use super::rules::{Fingerprint, fingerprint};

/// The keys loaded so far, with the line each came from.
///
/// Extracts usually arrive sorted by their key. While they do, a repeat is
/// impossible and a key costs one comparison and a push onto a list; the
/// first key out of order turns the list into a hash map, which is slower
/// (a cache miss per row on a large file) but answers for any order.
pub enum KeyIndex {
    Ascending {
        last: String,
        loaded: Vec<(Fingerprint, u64)>,
        /// The keys the file is expected to hold, to size the map once.
        expected: usize,
    },
    Hashed(FxHashMap<Fingerprint, u64>),
}

impl Default for KeyIndex {
    fn default() -> Self {
        KeyIndex::new(0)
    }
}

impl KeyIndex {
    pub fn new(expected: usize) -> Self {
        KeyIndex::Ascending {
            last: String::new(),
            loaded: Vec::new(),
            expected,
        }
    }

    /// The line an earlier copy of `key` was loaded from, if any.
    pub fn earlier_line(&mut self, key: &str) -> Option<u64> {
        match self.hashed_unless_ascending(key) {
            None => None,
            Some(map) => map.get(&fingerprint(key)).copied(),
        }
    }

    /// Records `key` as loaded from `line`, or gives the line of the copy
    /// loaded earlier. One probe of the map, where `earlier_line` followed
    /// by an insert would take two.
    pub fn claim(&mut self, key: &str, line: u64) -> Result<(), u64> {
        match self.hashed_unless_ascending(key) {
            None => {
                if let KeyIndex::Ascending { last, loaded, .. } = self {
                    last.clear();
                    last.push_str(key);
                    loaded.push((fingerprint(key), line));
                }
                Ok(())
            }
            Some(map) => match map.entry(fingerprint(key)) {
                Entry::Occupied(earlier) => Err(*earlier.get()),
                Entry::Vacant(slot) => {
                    slot.insert(line);
                    Ok(())
                }
            },
        }
    }

    /// `None` while keys still ascend past `key`; otherwise the map, built
    /// from the list the first time a key does not.
    fn hashed_unless_ascending(&mut self, key: &str) -> Option<&mut FxHashMap<Fingerprint, u64>> {
        if let KeyIndex::Ascending {
            last,
            loaded,
            expected,
        } = self
        {
            if loaded.is_empty() || key > last.as_str() {
                return None;
            }
            // Sized for the whole file up front: growing a map of tens of
            // millions of keys costs more than the look-ups.
            let mut map = FxHashMap::with_capacity_and_hasher(
                (*expected).max(loaded.len()),
                Default::default(),
            );
            map.extend(loaded.drain(..));
            *self = KeyIndex::Hashed(map);
        }
        match self {
            KeyIndex::Hashed(map) => Some(map),
            KeyIndex::Ascending { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::proptest_config::deterministic(256, 1024))]

        /// Whatever the order, a key is reported exactly when an earlier
        /// copy was inserted, with that copy's line.
        #[test]
        fn repeats_are_found_in_any_order(keys in prop::collection::vec("[a-c]{1,2}", 0..40)) {
            let mut index = KeyIndex::default();
            let mut first_line: std::collections::HashMap<String, u64> = Default::default();
            for (line, key) in keys.iter().enumerate() {
                let line = line as u64 + 2;
                let expected = first_line.get(key).copied();
                prop_assert_eq!(index.earlier_line(key), expected);
                prop_assert_eq!(index.claim(key, line), expected.map_or(Ok(()), Err));
                first_line.entry(key.clone()).or_insert(line);
            }
        }
    }

    #[test]
    fn sorted_keys_never_build_a_map() {
        let mut index = KeyIndex::default();
        for (line, key) in ["T1", "T2", "T3"].iter().enumerate() {
            assert_eq!(index.claim(key, line as u64), Ok(()));
        }
        assert!(matches!(index, KeyIndex::Ascending { .. }));
        assert_eq!(index.earlier_line("T2"), Some(1));
        assert!(matches!(index, KeyIndex::Hashed(_)));
    }
}
