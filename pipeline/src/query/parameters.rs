//! The typed parameters every table's SQL may use, computed from the
//! period. They reach DataFusion as Date32 values, never pasted into text.

use chrono::NaiveDate;
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;

use crate::ingest::fields::days_since_epoch;
use crate::period::Period;

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

/// The windows a table can count over: the 12 months ending some quarters
/// before the period end, each reaching the SQL as `$<name>_start` and
/// `$<name>_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Year,
    Lagged,
    Reconviction1y,
    Reconviction2y,
}

impl Window {
    pub const ALL: [Window; 4] = [
        Window::Year,
        Window::Lagged,
        Window::Reconviction1y,
        Window::Reconviction2y,
    ];

    /// How many quarters before the period end the window ends.
    pub fn quarters_back(self) -> i32 {
        match self {
            Window::Year => 0,
            Window::Lagged => 1,
            Window::Reconviction1y => 6,
            Window::Reconviction2y => 10,
        }
    }

    /// The names of its first and last day.
    fn parameters(self) -> [&'static str; 2] {
        match self {
            Window::Year => ["year_start", "year_end"],
            Window::Lagged => ["lagged_start", "lagged_end"],
            Window::Reconviction1y => ["reconviction_1y_start", "reconviction_1y_end"],
            Window::Reconviction2y => ["reconviction_2y_start", "reconviction_2y_end"],
        }
    }

    /// Its name: the `{name}` a table's `cohort` and `counted` words write
    /// where its months belong, and the stem of its parameters.
    pub fn name(self) -> &'static str {
        match self {
            Window::Year => "year",
            Window::Lagged => "lagged",
            Window::Reconviction1y => "reconviction_1y",
            Window::Reconviction2y => "reconviction_2y",
        }
    }

    pub fn named(name: &str) -> Option<Window> {
        Window::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The quarter its 12 months end with, in the edition for `period`.
    pub fn ending(self, period: Period) -> Period {
        period.earlier(self.quarters_back())
    }

    /// Every window a query counts over, from the names of the parameters
    /// it uses (`$year_start` or `year_start`): a window whose first and
    /// last day it both uses (a table of financial years bounded by
    /// `$year_end` alone counts over no rolling window).
    pub fn used_by<'a>(parameters: impl IntoIterator<Item = &'a str>) -> Vec<Window> {
        let used: Vec<&str> = parameters
            .into_iter()
            .map(|name| name.trim_start_matches('$'))
            .collect();
        Window::ALL
            .into_iter()
            .filter(|window| window.parameters().iter().all(|p| used.contains(p)))
            .collect()
    }
}

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
        window: impl Fn(i32) -> crate::period::Window,
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
