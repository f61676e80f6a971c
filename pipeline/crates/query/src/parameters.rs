//! The typed parameters every table's SQL may use, computed from the
//! period. They reach DataFusion as Date32 values, never pasted into text.

use chrono::NaiveDate;
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;

use dtto_ingest::fields::days_since_epoch;
use dtto_model::period::Period;
use dtto_model::window::Window;

/// `$name` and its meaning, as documented in `queries/README.md`.
pub const DOCUMENTED: &[(&str, &str)] = &[
    ("as_at", "the date the extract was taken"),
    (
        "year_start",
        "first day of the reference year (the 12 months ending with the period)",
    ),
    (
        "year_end",
        "last day of the reference year: the period's last day",
    ),
    (
        "lagged_start",
        "first day of the 12 months ending one quarter before the period end",
    ),
    (
        "lagged_end",
        "last day of the 12 months ending one quarter before the period end",
    ),
    (
        "reconviction_1y_start",
        "first day of the one-year reconviction cohort window (ending 18 months before)",
    ),
    (
        "reconviction_1y_end",
        "last day of the one-year reconviction cohort window",
    ),
    (
        "reconviction_2y_start",
        "first day of the two-year reconviction cohort window (ending 30 months before)",
    ),
    (
        "reconviction_2y_end",
        "last day of the two-year reconviction cohort window",
    ),
];

/// The values of every parameter for one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameters {
    pub period: Period,
    values: Vec<(&'static str, NaiveDate)>,
}

impl Parameters {
    pub fn new(period: Period, as_at: NaiveDate) -> Self {
        Parameters::with_windows(period, as_at, |back| period.year_ending(back))
    }

    /// Every window narrowed to its last quarter: a table's single-quarter
    /// counts, four of which make its 12 months wherever the table counts
    /// each record once.
    pub fn single_quarter(period: Period, as_at: NaiveDate) -> Self {
        Parameters::with_windows(period, as_at, |back| period.earlier(back).quarter())
    }

    fn with_windows(
        period: Period,
        as_at: NaiveDate,
        window: impl Fn(i32) -> dtto_model::period::Window,
    ) -> Self {
        let mut values = vec![("as_at", as_at)];
        for w in Window::ALL {
            let dates = window(w.quarters_back());
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
            .map(|(name, date)| (*name, ScalarValue::Date32(Some(days_since_epoch(*date)))))
            .collect::<Vec<_>>()
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_parameter_has_a_value() {
        let p = Parameters::new(
            "2003Q4".parse().unwrap(),
            NaiveDate::from_ymd_opt(2005, 3, 31).unwrap(),
        );
        let names: Vec<&str> = p.values.iter().map(|(n, _)| *n).collect();
        let documented: Vec<&str> = DOCUMENTED.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, documented);
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(p.get("year_start"), date(2003, 1, 1));
        assert_eq!(p.get("reconviction_2y_end"), date(2001, 6, 30));
        let single = Parameters::single_quarter(p.period, date(2005, 3, 31).unwrap());
        assert_eq!(single.get("year_start"), date(2003, 10, 1));
        assert_eq!(single.get("lagged_end"), date(2003, 9, 30));
        assert_eq!(single.get("reconviction_2y_start"), date(2001, 4, 1));
    }
}
