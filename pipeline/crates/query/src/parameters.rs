//! The typed parameters every table's SQL may use, computed from the
//! period: `$as_at` and the two ends of every window `queries/windows.toml`
//! declares. They reach DataFusion as Date32 values, never pasted into
//! text.

use chrono::NaiveDate;
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;

use dtto_ingest::fields::days_since_epoch;
use dtto_model::period::Period;
use dtto_model::window::{AS_AT, Windows};

/// The values of every parameter for one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameters {
    pub period: Period,
    values: Vec<(String, NaiveDate)>,
}

impl Parameters {
    pub fn new(windows: &Windows, period: Period, as_at: NaiveDate) -> Self {
        Parameters::with_windows(windows, period, as_at, |back| period.year_ending(back))
    }

    /// Every window narrowed to its last quarter: a table's single-quarter
    /// counts, four of which make its 12 months wherever the table counts
    /// each record once.
    pub fn single_quarter(windows: &Windows, period: Period, as_at: NaiveDate) -> Self {
        Parameters::with_windows(windows, period, as_at, |back| {
            period.earlier(back).quarter()
        })
    }

    fn with_windows(
        windows: &Windows,
        period: Period,
        as_at: NaiveDate,
        window: impl Fn(i32) -> dtto_model::period::DateRange,
    ) -> Self {
        let mut values = vec![(AS_AT.to_string(), as_at)];
        for w in windows.all() {
            let dates = window(w.quarters_back);
            let [start, end] = w.parameters();
            values.push((start, dates.start));
            values.push((end, dates.end));
        }
        Parameters { period, values }
    }

    pub fn get(&self, name: &str) -> Option<NaiveDate> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| *d)
    }

    pub fn param_values(&self) -> ParamValues {
        self.values
            .iter()
            .map(|(name, date)| {
                (
                    name.as_str(),
                    ScalarValue::Date32(Some(days_since_epoch(*date))),
                )
            })
            .collect::<Vec<_>>()
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::Path;

    #[test]
    fn every_declared_window_has_its_two_days() {
        let windows = Windows::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../queries/windows.toml"),
        )
        .unwrap();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let as_at = date(2005, 3, 31).unwrap();
        let p = Parameters::new(&windows, "2003Q4".parse().unwrap(), as_at);
        let names: Vec<&str> = p.values.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "as_at",
                "year_start",
                "year_end",
                "lagged_start",
                "lagged_end",
                "reconviction_1y_start",
                "reconviction_1y_end",
                "reconviction_2y_start",
                "reconviction_2y_end"
            ]
        );
        assert_eq!(p.get("as_at"), Some(as_at));
        assert_eq!(p.get("year_start"), date(2003, 1, 1));
        assert_eq!(p.get("reconviction_2y_end"), date(2001, 6, 30));
        let single = Parameters::single_quarter(&windows, p.period, as_at);
        assert_eq!(single.get("year_start"), date(2003, 10, 1));
        assert_eq!(single.get("lagged_end"), date(2003, 9, 30));
        assert_eq!(single.get("reconviction_2y_start"), date(2001, 4, 1));
    }
}
