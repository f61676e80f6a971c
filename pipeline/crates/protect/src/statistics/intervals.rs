//! Confidence intervals for proportions and their differences. Statisticians
//! never write these formulas in SQL: every rate gets them here.

/// The standard normal quantile for a two-sided 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// An interval on the proportion scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

/// The Wilson score interval for `successes` out of `trials` (Wilson 1927;
/// Newcombe 1998, method 3). `None` when there are no trials.
pub fn wilson(successes: u64, trials: u64) -> Option<Interval> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half_width = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    // At 0 and n the limits are exactly 0 and 1; rounding must not push
    // them outside.
    let lower = if successes == 0 {
        0.0
    } else {
        (centre - half_width).max(0.0)
    };
    let upper = if successes == trials {
        1.0
    } else {
        (centre + half_width).min(1.0)
    };
    Some(Interval { lower, upper })
}

/// The difference p1 − p2 of two independent proportions with Newcombe's
/// hybrid score interval (Newcombe 1998, method 10), built from the two
/// Wilson intervals. `None` when either has no trials.
pub fn newcombe_difference(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<(f64, Interval)> {
    let (w1, w2) = (wilson(x1, n1)?, wilson(x2, n2)?);
    let p1 = x1 as f64 / n1 as f64;
    let p2 = x2 as f64 / n2 as f64;
    let difference = p1 - p2;
    let below = ((p1 - w1.lower).powi(2) + (w2.upper - p2).powi(2)).sqrt();
    let above = ((w1.upper - p1).powi(2) + (p2 - w2.lower).powi(2)).sqrt();
    Some((
        difference,
        Interval {
            lower: (difference - below).max(-1.0),
            upper: (difference + above).min(1.0),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rounded(value: f64) -> f64 {
        (value * 10_000.0).round() / 10_000.0
    }

    /// Newcombe (1998), Statistics in Medicine 17, 857–872, table II.
    #[test]
    fn wilson_reproduces_the_published_values() {
        let w = wilson(81, 263).unwrap();
        assert_eq!((rounded(w.lower), rounded(w.upper)), (0.2553, 0.3662));
        let w = wilson(0, 20).unwrap();
        assert_eq!((w.lower, rounded(w.upper)), (0.0, 0.1611));
        let w = wilson(15, 148).unwrap();
        assert_eq!((rounded(w.lower), rounded(w.upper)), (0.0624, 0.1605));
        assert_eq!(wilson(0, 0), None);
    }

    /// Newcombe (1998), Statistics in Medicine 17, 873–890, table II, method 10.
    #[test]
    fn newcombe_reproduces_the_published_values() {
        let (d, i) = newcombe_difference(56, 70, 48, 80).unwrap();
        assert_eq!(rounded(d), 0.2);
        assert_eq!((rounded(i.lower), rounded(i.upper)), (0.0524, 0.3339));
        let (d, i) = newcombe_difference(9, 10, 3, 10).unwrap();
        assert_eq!(rounded(d), 0.6);
        assert_eq!((rounded(i.lower), rounded(i.upper)), (0.1705, 0.8090));
        assert_eq!(newcombe_difference(1, 0, 1, 2), None);
    }

    proptest! {
        #![proptest_config(dtto_testing::deterministic(256, 1024))]

        #[test]
        fn wilson_lies_in_the_unit_interval_around_the_estimate(n in 1u64..100_000, x_share in 0.0f64..=1.0) {
            let x = ((n as f64) * x_share).round() as u64;
            let w = wilson(x, n).unwrap();
            let p = x as f64 / n as f64;
            prop_assert!(0.0 <= w.lower && w.lower <= p && p <= w.upper && w.upper <= 1.0, "{w:?} around {p}");
            prop_assert!(w.lower < w.upper);
        }

        #[test]
        fn newcombe_lies_in_range_around_the_difference(
            n1 in 1u64..50_000, s1 in 0.0f64..=1.0, n2 in 1u64..50_000, s2 in 0.0f64..=1.0,
        ) {
            let x1 = ((n1 as f64) * s1).round() as u64;
            let x2 = ((n2 as f64) * s2).round() as u64;
            let (d, i) = newcombe_difference(x1, n1, x2, n2).unwrap();
            prop_assert!(-1.0 <= i.lower && i.lower <= d + 1e-12 && d - 1e-12 <= i.upper && i.upper <= 1.0);
        }
    }
}
