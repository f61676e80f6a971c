//! Finding repeats of a file's unique key (order_id, assessment_id,
//! test_id) over hundreds of millions of rows, in bounded memory.
//!
//! A file is read first on the assumption that its keys do not repeat,
//! every key recorded as it goes ([`KeyIndex::recording`]). Once the file
//! is read, [`KeyIndex::repeated`] finds the keys that may have repeated.
//! Almost always there are none, and the first reading stands. If there
//! are, the file is read again, this time with those few keys checked row
//! by row ([`KeyIndex::checking`]), which says exactly which copy of each
//! was loaded first.
//!
//! Checking every key row by row instead needs a hash map of every key,
//! and on a file out of order each look-up misses the cache: that was
//! 30 % of a shuffled file's load, and 6 GB at a hundred times the volume.

use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{self, Read, Seek, Write};

use rustc_hash::{FxHashMap, FxHashSet};

use super::rules::fingerprint;

/// Keys recorded in memory before they are written to temporary files:
/// 32 Mi keys, 512 MiB. A scale-10 delivery's 23 million drug tests stay in
/// memory.
const KEYS_IN_MEMORY: usize = 1 << 25;

/// Recorded keys are dealt by their fingerprint's first byte into this many
/// parts, each small enough to check for repeats on its own in cache.
const PARTS: usize = 256;

/// A key's 128-bit fingerprint with its last bit replaced by whether the
/// row loaded. 127 bits still make a false match impossible in practice.
type Recorded = u128;

fn key_bits(key: &str) -> u128 {
    let (high, low) = fingerprint(key);
    (u128::from(high) << 64 | u128::from(low)) & !1
}

fn part_of(bits: u128) -> usize {
    (bits >> (128 - 8)) as usize
}

/// The keys of one file as it is read, in one of two readings.
pub(crate) enum KeyIndex {
    /// First reading: every key recorded, repeats found afterwards.
    Recording(KeyLedger),
    /// Second reading: only keys that may repeat are looked up.
    Checking {
        repeated: FxHashSet<u128>,
        first_line: FxHashMap<u128, u64>,
    },
}

impl KeyIndex {
    /// For the first reading of a file expected to hold about `expected`
    /// keys.
    pub(crate) fn recording(expected: usize) -> Self {
        KeyIndex::Recording(KeyLedger::new(KEYS_IN_MEMORY, expected))
    }

    /// For a second reading that looks up only the `repeated` keys.
    pub(crate) fn checking(repeated: FxHashSet<u128>) -> Self {
        KeyIndex::Checking {
            repeated,
            first_line: FxHashMap::default(),
        }
    }

    /// Records `key` as loaded from `line`, or gives the line of the copy
    /// loaded earlier. While recording, a repeat is not known yet and
    /// this always succeeds.
    pub(crate) fn claim(&mut self, key: &str, line: u64) -> io::Result<Result<(), u64>> {
        let bits = key_bits(key);
        match self {
            KeyIndex::Recording(ledger) => {
                ledger.record(key, bits | 1)?;
                Ok(Ok(()))
            }
            KeyIndex::Checking {
                repeated,
                first_line,
            } => {
                if !repeated.contains(&bits) {
                    return Ok(Ok(()));
                }
                Ok(match first_line.entry(bits) {
                    Entry::Occupied(earlier) => Err(*earlier.get()),
                    Entry::Vacant(slot) => {
                        slot.insert(line);
                        Ok(())
                    }
                })
            }
        }
    }

    /// The line an earlier copy of `key`, on a row that is not loaded, was
    /// loaded from, if any. While recording, not known yet: `None`.
    pub(crate) fn earlier_line(&mut self, key: &str) -> io::Result<Option<u64>> {
        let bits = key_bits(key);
        match self {
            KeyIndex::Recording(ledger) => {
                ledger.record(key, bits)?;
                Ok(None)
            }
            KeyIndex::Checking { first_line, .. } => Ok(first_line.get(&bits).copied()),
        }
    }

    /// The keys that may have been loaded twice, or loaded and also found
    /// on a rejected row, in what the first reading recorded. Empty when
    /// checking: the second reading's answers are exact.
    pub(crate) fn repeated(self) -> io::Result<FxHashSet<u128>> {
        match self {
            KeyIndex::Recording(ledger) => ledger.repeated(),
            KeyIndex::Checking { .. } => Ok(FxHashSet::default()),
        }
    }
}

/// Every key of a file so far, dealt into [`PARTS`] parts, the parts
/// written to temporary files whenever they hold more than the budget.
pub(crate) struct KeyLedger {
    /// The last key recorded while keys ascend; a file whose keys ascend
    /// throughout cannot hold a repeat, and is not checked at all.
    last: String,
    ascending: bool,
    recorded: u64,
    parts: Vec<Vec<Recorded>>,
    held: usize,
    in_memory: usize,
    spilled: Vec<Option<File>>,
}

impl KeyLedger {
    fn new(in_memory: usize, expected: usize) -> Self {
        // Sized up front so that the parts seldom grow: growing copies.
        let each = expected.min(in_memory) / PARTS;
        KeyLedger {
            last: String::new(),
            ascending: true,
            recorded: 0,
            parts: (0..PARTS).map(|_| Vec::with_capacity(each)).collect(),
            held: 0,
            in_memory,
            spilled: (0..PARTS).map(|_| None).collect(),
        }
    }

    fn record(&mut self, key: &str, recorded: Recorded) -> io::Result<()> {
        if self.ascending {
            if self.recorded > 0 {
                self.ascending = key > self.last.as_str();
            }
            self.last.clear();
            self.last.push_str(key);
        }
        self.parts[part_of(recorded)].push(recorded);
        self.recorded += 1;
        self.held += 1;
        if self.held >= self.in_memory {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        let mut bytes = Vec::new();
        for (part, file) in self.parts.iter_mut().zip(&mut self.spilled) {
            bytes.clear();
            bytes.extend(part.drain(..).flat_map(u128::to_le_bytes));
            let file = match file {
                Some(file) => file,
                None => file.insert(tempfile::tempfile()?),
            };
            file.write_all(&bytes)?;
        }
        self.held = 0;
        Ok(())
    }

    fn repeated(mut self) -> io::Result<FxHashSet<u128>> {
        let mut repeated = FxHashSet::default();
        if self.ascending {
            return Ok(repeated);
        }
        // Per key: whether some copy loaded, and whether it came twice.
        let mut seen: FxHashMap<u128, (bool, bool)> = FxHashMap::default();
        for (part, spilled) in self.parts.iter_mut().zip(self.spilled) {
            if let Some(mut file) = spilled {
                read_spilled(&mut file, part)?;
            }
            seen.clear();
            for &recorded in part.iter() {
                let loaded = recorded & 1 == 1;
                match seen.entry(recorded & !1) {
                    Entry::Occupied(mut copies) => {
                        *copies.get_mut() = (copies.get().0 | loaded, true)
                    }
                    Entry::Vacant(slot) => {
                        slot.insert((loaded, false));
                    }
                }
            }
            repeated.extend(
                seen.iter()
                    .filter(|(_, (loaded, twice))| *loaded && *twice)
                    .map(|(&key, _)| key),
            );
            *part = Vec::new();
        }
        Ok(repeated)
    }
}

/// Adds to `part` the keys [`KeyLedger::spill`] wrote of it.
fn read_spilled(file: &mut File, part: &mut Vec<Recorded>) -> io::Result<()> {
    file.rewind()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    part.extend(bytes.chunks_exact(16).map(|chunk| {
        let mut word = [0u8; 16];
        word.copy_from_slice(chunk);
        u128::from_le_bytes(word)
    }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Both readings of a file of `(key, loads)` rows, as `load_file` does
    /// them: each row's answer, from the first reading if it found no
    /// repeats, otherwise from the second.
    fn answers(rows: &[(String, bool)], in_memory: usize) -> Vec<Option<u64>> {
        let read = |index: &mut KeyIndex| -> Vec<Option<u64>> {
            rows.iter()
                .enumerate()
                .map(|(line, (key, loads))| {
                    let line = line as u64 + 2;
                    if *loads {
                        index.claim(key, line).unwrap().err()
                    } else {
                        index.earlier_line(key).unwrap()
                    }
                })
                .collect()
        };
        let mut first = KeyIndex::Recording(KeyLedger::new(in_memory, 0));
        let first_answers = read(&mut first);
        let repeated = first.repeated().unwrap();
        if repeated.is_empty() {
            first_answers
        } else {
            read(&mut KeyIndex::checking(repeated))
        }
    }

    proptest! {
        #![proptest_config(dtto_testing::deterministic(256, 1024))]

        /// Whatever the order, and however many keys are kept in memory, a
        /// row is told of an earlier copy exactly when one was loaded,
        /// with that copy's line.
        #[test]
        fn repeats_are_found_in_any_order(
            rows in prop::collection::vec(("[a-c]{1,2}", prop::bool::weighted(0.8)), 0..40),
            in_memory in 1usize..5,
        ) {
            let mut first_line: std::collections::HashMap<&str, u64> = Default::default();
            let mut expected = Vec::new();
            for (line, (key, loads)) in rows.iter().enumerate() {
                let earlier = first_line.get(key.as_str()).copied();
                expected.push(earlier);
                if *loads && earlier.is_none() {
                    first_line.insert(key, line as u64 + 2);
                }
            }
            prop_assert_eq!(answers(&rows, in_memory), expected);
        }
    }

    fn loaded(keys: &[&str]) -> Vec<(String, bool)> {
        keys.iter().map(|k| (k.to_string(), true)).collect()
    }

    #[test]
    fn ascending_keys_are_not_checked() {
        let mut index = KeyIndex::recording(3);
        for (line, key) in ["T1", "T2", "T3"].iter().enumerate() {
            assert_eq!(index.claim(key, line as u64).unwrap(), Ok(()));
        }
        assert!(matches!(&index, KeyIndex::Recording(ledger) if ledger.ascending));
        assert!(index.repeated().unwrap().is_empty());
    }

    #[test]
    fn only_a_loaded_key_seen_twice_is_repeated() {
        let rows = [
            ("T2".to_string(), true),
            ("T1".to_string(), false),
            ("T1".to_string(), false),
            ("T3".to_string(), true),
            ("T2".to_string(), true),
        ];
        let mut index = KeyIndex::recording(0);
        for (line, (key, loads)) in rows.iter().enumerate() {
            if *loads {
                index.claim(key, line as u64).unwrap().unwrap();
            } else {
                index.earlier_line(key).unwrap();
            }
        }
        let repeated = index.repeated().unwrap();
        assert_eq!(repeated, FxHashSet::from_iter([key_bits("T2")]));
    }

    #[test]
    fn keys_past_memory_are_spilled_and_still_found() {
        let rows = loaded(&["T4", "T1", "T3", "T2", "T4", "T1"]);
        let mut ledger = KeyLedger::new(2, 0);
        for (key, _) in &rows {
            ledger.record(key, key_bits(key) | 1).unwrap();
        }
        assert_eq!(ledger.held, 0);
        assert!(ledger.spilled.iter().any(Option::is_some));
        assert_eq!(
            ledger.repeated().unwrap(),
            FxHashSet::from_iter([key_bits("T4"), key_bits("T1")])
        );
        assert_eq!(
            answers(&rows, 2),
            [None, None, None, None, Some(2), Some(3)]
        );
    }
}
