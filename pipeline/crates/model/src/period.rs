//! The period a run publishes, and the dates of the windows every measure
//! counts over (`DateRange`), which reach the SQL as typed parameters.
//! Every way an output names 12 months is written here, so no two outputs
//! can name the same months differently.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// The months of a series' rows, each counting the 12 months ending with
/// the quarter it is labelled by.
pub const EACH_QUARTER_SHOWN: &str = "the 12 months ending each quarter shown";

/// The heading of the column naming the quarter whose 12 months a row
/// counts.
pub const COUNTED_ENDING: &str = "Counts the 12 months ending";

/// The title of a series chart's axis of quarters.
pub const QUARTERS_AXIS: &str = "The 12 months ending (quarter)";

/// A calendar quarter, written `2003Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    quarter: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("period {0:?} is not a quarter written like 2003Q4 (four digits of year, Q, 1 to 4)")]
    Malformed(String),
    #[error(
        "period {period} ends on {end}, after the extract's as_at date {as_at}: it cannot be published from this extract"
    )]
    AfterAsAt {
        period: Period,
        end: NaiveDate,
        as_at: NaiveDate,
    },
    #[error(
        "period {period} ends on {end}, before the extract's first Order commenced on {begins}: there is nothing \
         to publish. Choose a period from {first} on"
    )]
    BeforeData {
        period: Period,
        end: NaiveDate,
        begins: NaiveDate,
        first: Period,
    },
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || PeriodError::Malformed(text.to_string());
        let (year, quarter) = text.split_once('Q').ok_or_else(malformed)?;
        // Digits only: `str::parse` would take a sign, and `-999` has four
        // characters.
        let digits = |part: &str, width: usize| {
            (part.len() == width && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u32>().ok())
                .flatten()
        };
        let year = digits(year, 4)
            .and_then(|y| i32::try_from(y).ok())
            .ok_or_else(malformed)?;
        let quarter = digits(quarter, 1)
            .filter(|q| (1..=4).contains(q))
            .ok_or_else(malformed)?;
        Ok(Period { year, quarter })
    }
}

/// A template reads a period as it is written: `2003Q4`.
impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.quarter)
    }
}

/// Inclusive dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// The latest quarter that has ended by `date`.
    pub fn latest_complete(date: NaiveDate) -> Period {
        let quarter = (date.month() - 1) / 3 + 1;
        let candidate = Period {
            year: date.year(),
            quarter,
        };
        if candidate.end() == date {
            candidate
        } else {
            candidate.earlier(1)
        }
    }

    /// The quarter `quarters` before this one.
    pub fn earlier(self, quarters: i32) -> Period {
        let index = self.index() - quarters;
        Period {
            year: index.div_euclid(4),
            quarter: index.rem_euclid(4) as u32 + 1,
        }
    }

    /// The financial year (April to March) that is the reference year, as
    /// `2004-05`, when the period is a first quarter.
    pub fn financial_year(self) -> Option<String> {
        (self.quarter == 1).then(|| format!("{}-{:02}", self.year - 1, self.year.rem_euclid(100)))
    }

    /// The last day of the quarter.
    pub fn end(self) -> NaiveDate {
        let (year, month) = if self.quarter == 4 {
            (self.year + 1, 1)
        } else {
            (self.year, self.quarter * 3 + 1)
        };
        NaiveDate::from_ymd_opt(year, month, 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MIN)
    }

    /// The 12 months ending with the quarter `quarters_back` before this one.
    pub fn year_ending(self, quarters_back: i32) -> DateRange {
        self.earlier(quarters_back).quarters_ending(4)
    }

    /// The `count` quarters ending with this one, as dates.
    fn quarters_ending(self, count: i32) -> DateRange {
        let end = self.end();
        let start = self.earlier(count).end().succ_opt().unwrap_or(end);
        DateRange { start, end }
    }

    /// The 12 months ending with this quarter, as every output names them:
    /// `the year ending June 2005`. Written here only, so a caption, a key
    /// point and an alt text can never name the same months differently.
    pub fn year_ending_words(self) -> String {
        format!("the year ending {}", self.month_year())
    }

    /// The 12 months ending with each quarter from this one to `last`: `the
    /// year ending June 2005` when they are the same quarter, else `the 12
    /// months ending each quarter from June 2001 to March 2005`.
    pub fn through_words(self, last: Period) -> String {
        if self == last {
            self.year_ending_words()
        } else {
            format!(
                "the 12 months ending each quarter from {} to {}",
                self.month_year(),
                last.month_year()
            )
        }
    }

    /// The quarter's last month: `June 2005`.
    pub fn month_year(self) -> String {
        crate::format::month_year(self.end())
    }

    /// The quarter's own three months.
    pub fn quarter(self) -> DateRange {
        self.quarters_ending(1)
    }

    /// The quarters from `self` to `last`, both included, oldest first.
    pub fn through(self, last: Period) -> impl Iterator<Item = Period> {
        let quarters = last.index() - self.index();
        (0..=quarters).map(move |n| last.earlier(quarters - n))
    }

    fn index(self) -> i32 {
        self.year * 4 + self.quarter as i32 - 1
    }

    /// The first quarter whose 12 months ending `quarters_back` before it
    /// start on or after `begins`: the first the delivery fully covers for
    /// a window of that lag.
    pub fn first_covering(begins: NaiveDate, quarters_back: i32) -> Period {
        let of = Period::of(begins);
        let first_whole = if of.quarter().start == begins {
            of
        } else {
            of.earlier(-1)
        };
        first_whole.earlier(-(3 + quarters_back))
    }

    /// The quarter a date falls in.
    pub fn of(date: NaiveDate) -> Period {
        Period {
            year: date.year(),
            quarter: date.month0() / 3 + 1,
        }
    }

    /// Refuses a period that ends after the extract was taken, or before
    /// its first Order commenced (`begins`; none in an extract without
    /// Orders): either would publish figures the extract cannot give.
    pub fn check_against(
        self,
        as_at: NaiveDate,
        begins: Option<NaiveDate>,
    ) -> Result<(), PeriodError> {
        if self.end() > as_at {
            return Err(PeriodError::AfterAsAt {
                period: self,
                end: self.end(),
                as_at,
            });
        }
        match begins {
            Some(begins) if self.end() < begins => Err(PeriodError::BeforeData {
                period: self,
                end: self.end(),
                begins,
                first: Period::of(begins),
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn periods_parse_and_print() {
        let p: Period = "2003Q4".parse().unwrap();
        assert_eq!(p.to_string(), "2003Q4");
        for bad in [
            "2003Q5", "2003Q0", "2003", "03Q4", "2003q4", "Q4", "2003Q4x", "-999Q1", "+203Q1",
            "2003Q+4", "2003Q04", "２003Q4",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_are_the_twelve_months_ending_where_the_spec_says() {
        let p: Period = "2003Q4".parse().unwrap();
        assert_eq!(p.end(), date(2003, 12, 31));
        // The reference year.
        assert_eq!(
            p.year_ending(0),
            DateRange {
                start: date(2003, 1, 1),
                end: date(2003, 12, 31)
            }
        );
        // One quarter earlier: retention and continuity-of-care cohorts.
        assert_eq!(
            p.year_ending(1),
            DateRange {
                start: date(2002, 10, 1),
                end: date(2003, 9, 30)
            }
        );
        // 18 and 30 months earlier: the reconviction cohorts.
        assert_eq!(
            p.year_ending(6),
            DateRange {
                start: date(2001, 7, 1),
                end: date(2002, 6, 30)
            }
        );
        assert_eq!(
            p.year_ending(10),
            DateRange {
                start: date(2000, 7, 1),
                end: date(2001, 6, 30)
            }
        );
        // A year earlier, for the change.
        assert_eq!(
            p.year_ending(4),
            DateRange {
                start: date(2002, 1, 1),
                end: date(2002, 12, 31)
            }
        );
        // Quarters ending on the 30th stay on quarter ends when stepped.
        let q3: Period = "2003Q3".parse().unwrap();
        assert_eq!(
            q3.year_ending(6),
            DateRange {
                start: date(2001, 4, 1),
                end: date(2002, 3, 31)
            }
        );
    }

    #[test]
    fn the_first_quarter_a_delivery_covers_starts_its_window_on_or_after_the_first_order() {
        let first = |begins, back| Period::first_covering(begins, back).to_string();
        // Orders from 1 October 2000: the 12 months to September 2001.
        assert_eq!(first(date(2000, 10, 1), 0), "2001Q3");
        // From the 2nd, October 2000 is not covered: the year to December 2001.
        assert_eq!(first(date(2000, 10, 2), 0), "2001Q4");
        // Lagged one quarter, and the two-year reconviction window (ending
        // 30 months before the period end).
        assert_eq!(first(date(2000, 10, 1), 1), "2001Q4");
        assert_eq!(first(date(2000, 10, 1), 10), "2004Q1");
        let p: Period = "2003Q4".parse().unwrap();
        assert_eq!(p.quarter().start, date(2003, 10, 1));
        assert_eq!(p.quarter().end, date(2003, 12, 31));
        let run: Vec<String> = "2003Q3"
            .parse::<Period>()
            .unwrap()
            .through("2004Q2".parse().unwrap())
            .map(|q| q.to_string())
            .collect();
        assert_eq!(run, ["2003Q3", "2003Q4", "2004Q1", "2004Q2"]);
    }

    #[test]
    fn a_span_of_quarters_is_named_by_the_months_ending_each() {
        let q = |text: &str| text.parse::<Period>().unwrap();
        assert_eq!(
            q("2005Q1").through_words(q("2005Q1")),
            "the year ending March 2005"
        );
        assert_eq!(
            q("2001Q2").through_words(q("2005Q1")),
            "the 12 months ending each quarter from June 2001 to March 2005"
        );
    }

    #[test]
    fn a_first_quarter_ends_a_financial_year() {
        let period = |text: &str| text.parse::<Period>().unwrap();
        assert_eq!(
            period("2005Q1").financial_year().as_deref(),
            Some("2004-05")
        );
        assert_eq!(
            period("2000Q1").financial_year().as_deref(),
            Some("1999-00")
        );
        assert_eq!(period("2004Q4").financial_year(), None);
    }

    #[test]
    fn a_period_before_the_first_order_is_refused_with_the_first_it_could_be() {
        let begins = Some(date(2000, 10, 2));
        let p = |text: &str| text.parse::<Period>().unwrap();
        assert_eq!(
            p("2000Q3").check_against(date(2005, 3, 31), begins),
            Err(PeriodError::BeforeData {
                period: p("2000Q3"),
                end: date(2000, 9, 30),
                begins: date(2000, 10, 2),
                first: p("2000Q4"),
            })
        );
        assert_eq!(p("2000Q4").check_against(date(2005, 3, 31), begins), Ok(()));
        assert_eq!(p("1000Q1").check_against(date(2005, 3, 31), None), Ok(()));
    }

    #[test]
    fn the_latest_complete_quarter_and_a_period_after_as_at() {
        assert_eq!(
            Period::latest_complete(date(2005, 3, 31)).to_string(),
            "2005Q1"
        );
        assert_eq!(
            Period::latest_complete(date(2005, 3, 30)).to_string(),
            "2004Q4"
        );
        let p: Period = "2005Q2".parse().unwrap();
        assert!(matches!(
            p.check_against(date(2005, 3, 31), None),
            Err(PeriodError::AfterAsAt { .. })
        ));
        assert!(
            "2005Q1"
                .parse::<Period>()
                .unwrap()
                .check_against(date(2005, 3, 31), None)
                .is_ok()
        );
    }
}
