//! Quarters a reader could suppose behind 12 months that are no sum of
//! quarters.
//!
//! A table that counts a person once in 12 months (who is on the Order) is
//! not the sum of its single quarters: someone on two Orders in different
//! quarters is counted in each quarter but once in the year. A reader who
//! takes its series for sums can still subtract neighbouring 12 months and
//! narrow down what they take for a quarter. Disclosure control links such a
//! series to quarters a reader could suppose: non-negative whole numbers,
//! every four consecutive ones making the 12 months ending in the last.
//! Whichever quarters a reader supposes, none is narrowed into 1 .. t − 1
//! when none of these can be, because the reader's and these are solutions
//! of the same sums.

use std::ops::Range;

/// Quarters making up `windows`, consecutive 12 months: three quarters
/// before the first window's last, then one per window, with
/// `windows[i] = x[i] + x[i + 1] + x[i + 2] + x[i + 3]`, every one
/// non-negative. `None` when there are none: no reader can take these 12
/// months for sums of quarters.
pub(crate) fn supposed_quarters(windows: &[u64]) -> Option<Vec<u64>> {
    let first = *windows.first()? as i64;
    // Subtracting neighbouring windows gives each quarter less the one four
    // before it, so each quarter is its class's first (one of the first
    // window's four quarters) plus an offset.
    let mut offsets = vec![0i64; windows.len() + 3];
    for i in 1..windows.len() {
        offsets[i + 3] = offsets[i - 1] + windows[i] as i64 - windows[i - 1] as i64;
    }
    // Each class's first quarter, as small as keeps its class non-negative.
    let least: Vec<i64> = (0..4)
        .map(|class| {
            let lowest = offsets.iter().skip(class).step_by(4).min().copied();
            -lowest.unwrap_or(0).min(0)
        })
        .collect();
    // The first window is the four firsts: what they have beyond their
    // least is shared out evenly.
    let slack = first - least.iter().sum::<i64>();
    if slack < 0 {
        return None;
    }
    let share = |class: i64| slack / 4 + i64::from(class < slack % 4);
    let quarters = offsets
        .iter()
        .enumerate()
        .map(|(k, offset)| {
            let class = k % 4;
            (least[class] + share(class as i64) + offset) as u64
        })
        .collect();
    Some(quarters)
}

/// `windows` split into runs of neighbours, each as long as it can be while
/// some quarters make it up, with those quarters. A run starts at the last
/// window of the one before it, so every pair of neighbouring windows is in
/// a run (quarters make up any one or two).
pub(crate) fn runs(windows: &[u64]) -> Vec<(Range<usize>, Vec<u64>)> {
    let mut runs = Vec::new();
    let mut start = 0;
    // The quarters making up the run so far, windows[start..end - 1].
    let mut made: Option<Vec<u64>> = None;
    for end in 1..=windows.len() {
        match supposed_quarters(&windows[start..end]) {
            Some(quarters) => made = Some(quarters),
            None => {
                if let Some(quarters) = made.take() {
                    runs.push((start..end - 1, quarters));
                }
                start = end - 2;
                made = supposed_quarters(&windows[start..end]);
            }
        }
    }
    if let Some(quarters) = made {
        runs.push((start..windows.len(), quarters));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn windows_of(quarters: &[u64]) -> Vec<u64> {
        quarters.windows(4).map(|four| four.iter().sum()).collect()
    }

    #[test]
    fn quarters_are_found_by_hand() {
        // 4, 8, 4: the second window gains 4 on its last quarter and the
        // third loses 4 on the one it leaves behind, the first window's
        // second quarter, which is then all of the first window's 4.
        assert_eq!(supposed_quarters(&[4, 8, 4]), Some(vec![0, 4, 0, 0, 4, 0]));
        // 5, 6, 7, 8: the first window shared out, one more each quarter.
        assert_eq!(
            supposed_quarters(&[5, 6, 7, 8]),
            Some(vec![2, 1, 1, 1, 3, 2, 2])
        );
        // 0, 10, 0: the ten would be in a quarter of both 0 windows.
        assert_eq!(supposed_quarters(&[0, 10, 0]), None);
        assert_eq!(supposed_quarters(&[]), None);
    }

    fn ranges(windows: &[u64]) -> Vec<Range<usize>> {
        runs(windows).into_iter().map(|(run, _)| run).collect()
    }

    #[test]
    fn windows_that_no_quarters_make_are_split_where_they_stop() {
        assert_eq!(ranges(&[0, 10, 0, 10]), [0..2, 1..4]);
        assert_eq!(ranges(&[7, 8, 9]), vec![0..3]);
        assert_eq!(ranges(&[7]), vec![0..1]);
        assert_eq!(ranges(&[]), Vec::<Range<usize>>::new());
    }

    proptest! {
        #![proptest_config(dtto_testing::deterministic(256, 1024))]

        /// Windows that are sums of quarters always have quarters making
        /// them up, and the ones found do.
        #[test]
        fn sums_of_quarters_are_made_up_again(
            quarters in proptest::collection::vec(0u64..40, 4..30)
        ) {
            let windows = windows_of(&quarters);
            let found = supposed_quarters(&windows);
            prop_assert!(found.is_some());
            prop_assert_eq!(windows_of(&found.unwrap_or_default()), windows);
        }

        /// Every run of any windows is made up by quarters, and the runs
        /// cover every neighbouring pair.
        #[test]
        fn every_run_is_made_up(windows in proptest::collection::vec(0u64..40, 1..30)) {
            let runs = runs(&windows);
            prop_assert_eq!(runs.first().map(|(r, _)| r.start), Some(0));
            prop_assert_eq!(runs.last().map(|(r, _)| r.end), Some(windows.len()));
            for pair in runs.windows(2) {
                prop_assert_eq!(pair[1].0.start + 1, pair[0].0.end);
                prop_assert!(pair[1].0.end > pair[0].0.end);
            }
            for (run, quarters) in runs {
                prop_assert_eq!(windows_of(&quarters), &windows[run]);
            }
        }
    }
}
