//! Finding repeats of a file's unique key (order_id, assessment_id,
//! test_id) over tens of millions of rows.

use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

use rustc_hash::FxHashMap;

use super::rules::{Fingerprint, fingerprint};

/// Keys of a file arriving in order kept in memory; past this many (768
/// MiB) the rest go to a temporary file, so that a file of hundreds of
/// millions of rows loads in bounded memory while its keys ascend. A scale-10
/// delivery's 23 million drug tests stay in memory.
const ASCENDING_IN_MEMORY: usize = 1 << 25;

/// Bytes of one spilled key: its fingerprint's two halves and its line.
const SPILLED_BYTES: usize = 24;

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
        /// How many keys `loaded` may hold: [`ASCENDING_IN_MEMORY`].
        in_memory: usize,
        /// The keys loaded after the first `in_memory`.
        spilled: Option<BufWriter<File>>,
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
        KeyIndex::keeping(ASCENDING_IN_MEMORY, expected)
    }

    fn keeping(in_memory: usize, expected: usize) -> Self {
        KeyIndex::Ascending {
            last: String::new(),
            loaded: Vec::new(),
            in_memory,
            spilled: None,
            expected,
        }
    }

    /// The line an earlier copy of `key` was loaded from, if any. Fails
    /// only if the spilled keys cannot be read back.
    pub fn earlier_line(&mut self, key: &str) -> io::Result<Option<u64>> {
        Ok(match self.hashed_unless_ascending(key)? {
            None => None,
            Some(map) => map.get(&fingerprint(key)).copied(),
        })
    }

    /// Records `key` as loaded from `line`, or gives the line of the copy
    /// loaded earlier. One probe of the map, where `earlier_line` followed
    /// by an insert would take two.
    pub fn claim(&mut self, key: &str, line: u64) -> io::Result<Result<(), u64>> {
        let Some(map) = self.hashed_unless_ascending(key)? else {
            if let KeyIndex::Ascending {
                last,
                loaded,
                in_memory,
                spilled,
                ..
            } = self
            {
                last.clear();
                last.push_str(key);
                let claimed = (fingerprint(key), line);
                if loaded.len() < *in_memory {
                    loaded.push(claimed);
                } else {
                    spill(spilled, claimed)?;
                }
            }
            return Ok(Ok(()));
        };
        Ok(match map.entry(fingerprint(key)) {
            Entry::Occupied(earlier) => Err(*earlier.get()),
            Entry::Vacant(slot) => {
                slot.insert(line);
                Ok(())
            }
        })
    }

    /// `None` while keys still ascend past `key`; otherwise the map, built
    /// from the list and the spilled keys the first time a key does not.
    fn hashed_unless_ascending(
        &mut self,
        key: &str,
    ) -> io::Result<Option<&mut FxHashMap<Fingerprint, u64>>> {
        if let KeyIndex::Ascending {
            last,
            loaded,
            spilled,
            expected,
            ..
        } = self
        {
            let nothing_claimed = loaded.is_empty() && spilled.is_none();
            if nothing_claimed || key > last.as_str() {
                return Ok(None);
            }
            // Sized for the whole file up front: growing a map of tens of
            // millions of keys costs more than the look-ups.
            let mut map = FxHashMap::with_capacity_and_hasher(
                (*expected).max(loaded.len()),
                Default::default(),
            );
            map.extend(loaded.drain(..));
            if let Some(spilled) = spilled.take() {
                read_spilled(spilled, &mut map)?;
            }
            *self = KeyIndex::Hashed(map);
        }
        Ok(match self {
            KeyIndex::Hashed(map) => Some(map),
            KeyIndex::Ascending { .. } => None,
        })
    }
}

fn spill(spilled: &mut Option<BufWriter<File>>, (key, line): (Fingerprint, u64)) -> io::Result<()> {
    let writer = match spilled {
        Some(writer) => writer,
        None => spilled.insert(BufWriter::with_capacity(1 << 20, tempfile::tempfile()?)),
    };
    writer.write_all(&key.0.to_le_bytes())?;
    writer.write_all(&key.1.to_le_bytes())?;
    writer.write_all(&line.to_le_bytes())
}

/// The keys [`spill`] wrote, read back from the start into `map`.
fn read_spilled(spilled: BufWriter<File>, map: &mut FxHashMap<Fingerprint, u64>) -> io::Result<()> {
    let mut file = spilled
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    file.rewind()?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut record = [0u8; SPILLED_BYTES];
    loop {
        match reader.read_exact(&mut record) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let word = |i: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&record[i * 8..i * 8 + 8]);
            u64::from_le_bytes(bytes)
        };
        map.insert((word(0), word(1)), word(2));
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
        fn repeats_are_found_in_any_order(
            keys in prop::collection::vec("[a-c]{1,2}", 0..40),
            in_memory in 0usize..4,
        ) {
            let mut index = KeyIndex::keeping(in_memory, 0);
            let mut first_line: std::collections::HashMap<String, u64> = Default::default();
            for (line, key) in keys.iter().enumerate() {
                let line = line as u64 + 2;
                let expected = first_line.get(key).copied();
                prop_assert_eq!(index.earlier_line(key)?, expected);
                prop_assert_eq!(index.claim(key, line)?, expected.map_or(Ok(()), Err));
                first_line.entry(key.clone()).or_insert(line);
            }
        }
    }

    #[test]
    fn sorted_keys_never_build_a_map() {
        let mut index = KeyIndex::default();
        for (line, key) in ["T1", "T2", "T3"].iter().enumerate() {
            assert_eq!(index.claim(key, line as u64).unwrap(), Ok(()));
        }
        assert!(matches!(index, KeyIndex::Ascending { .. }));
        assert_eq!(index.earlier_line("T2").unwrap(), Some(1));
        assert!(matches!(index, KeyIndex::Hashed(_)));
    }

    #[test]
    fn keys_past_memory_are_spilled_and_still_found() {
        let mut index = KeyIndex::keeping(2, 0);
        for (line, key) in ["T1", "T2", "T3", "T4"].iter().enumerate() {
            assert_eq!(index.claim(key, line as u64).unwrap(), Ok(()));
        }
        assert!(matches!(
            index,
            KeyIndex::Ascending { spilled: Some(_), ref loaded, .. } if loaded.len() == 2
        ));
        assert_eq!(index.claim("T4", 7).unwrap(), Err(3));
        assert_eq!(index.claim("T1", 8).unwrap(), Err(0));
        assert_eq!(index.claim("T0", 9).unwrap(), Ok(()));
    }
}
