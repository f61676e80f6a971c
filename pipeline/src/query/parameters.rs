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

/// The values of every parameter for one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameters {
    pub period: Period,
    as_at: NaiveDate,
    values: Vec<(&'static str, NaiveDate)>,
}

impl Parameters {
    pub fn new(period: Period, as_at: NaiveDate) -> Self {
        let year = period.year_ending(0);
        let lagged = period.year_ending(1);
        let reconviction_1y = period.year_ending(6);
        let reconviction_2y = period.year_ending(10);
        let values = vec![
            ("as_at", as_at),
            ("year_start", year.start),
            ("year_end", year.end),
            ("lagged_start", lagged.start),
            ("lagged_end", lagged.end),
            ("reconviction_1y_start", reconviction_1y.start),
            ("reconviction_1y_end", reconviction_1y.end),
            ("reconviction_2y_start", reconviction_2y.start),
            ("reconviction_2y_end", reconviction_2y.end),
        ];
        Parameters {
            period,
            as_at,
            values,
        }
    }

    /// The same windows a year earlier, for the change; as_at stays.
    pub fn year_earlier(&self) -> Self {
        Parameters::new(self.period.earlier(4), self.as_at)
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
        let earlier = p.year_earlier();
        assert_eq!(earlier.get("year_end"), date(2002, 12, 31));
        assert_eq!(earlier.get("as_at"), date(2005, 3, 31));
    }
}
