//! Parsing one field against its column's kind: the per-column rules of the
//! contract.

use chrono::{Datelike, NaiveDate};

use super::violation::{Rule, Violation};
use dtto_model::contract::{Column, Kind};
use dtto_model::reference::ReferenceLists;

/// A field's parsed value. Text stays in the record it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Null,
    Text,
    /// Days since 1970-01-01, as Arrow's Date32.
    Date(i32),
    Int(i32),
    /// Index into the column's code list.
    Code(i16),
}

/// A contract column with its code list resolved, ready to parse fields.
#[derive(Debug, Clone)]
pub struct FieldParser {
    pub column: Column,
    /// For code columns: the allowed codes, in dictionary order.
    pub codes: Vec<String>,
    /// Where the codes come from, for the message when one is not there.
    code_source: String,
}

impl FieldParser {
    pub fn new(column: Column, reference: &ReferenceLists) -> Self {
        let (codes, code_source) = match column.kind {
            Kind::Code(codes) => (codes.iter().map(|c| c.to_string()).collect(), String::new()),
            Kind::Reference(list) => (
                reference.codes(list).to_vec(),
                format!("the reference list queries/reference/{}", list.file_name()),
            ),
            Kind::Text | Kind::Date | Kind::Integer { .. } => (Vec::new(), String::new()),
        };
        FieldParser {
            column,
            codes,
            code_source,
        }
    }

    pub fn parse(&self, raw: &str) -> Result<Field, Violation> {
        let name = self.column.name;
        if raw.is_empty() {
            return if self.column.required {
                Err(Violation::new(
                    name,
                    Rule::Required,
                    "is empty; a value is required",
                ))
            } else {
                Ok(Field::Null)
            };
        }
        match self.column.kind {
            Kind::Text => Ok(Field::Text),
            Kind::Date => parse_date(raw).map(Field::Date).ok_or_else(|| {
                Violation::new(
                    name,
                    Rule::DateFormat,
                    format!("{raw:?} is not a valid YYYY-MM-DD date"),
                )
            }),
            Kind::Integer { min, max } => {
                let value = parse_integer(raw).ok_or_else(|| {
                    Violation::new(
                        name,
                        Rule::IntegerFormat,
                        format!("{raw:?} is not a whole number"),
                    )
                })?;
                match i32::try_from(value) {
                    Ok(v) if (min..=max).contains(&v) => Ok(Field::Int(v)),
                    _ => Err(Violation::new(
                        name,
                        Rule::OutOfRange,
                        format!("{value} is outside {min} to {max}"),
                    )),
                }
            }
            Kind::Code(_) => self.code(raw).ok_or_else(|| {
                Violation::new(
                    name,
                    Rule::NotAllowed,
                    format!("{raw:?} is not one of {}", self.codes.join(", ")),
                )
            }),
            Kind::Reference(_) => self.code(raw).ok_or_else(|| {
                Violation::new(
                    name,
                    Rule::NotInReference,
                    format!("{raw:?} is not in {}", self.code_source),
                )
            }),
        }
    }

    fn code(&self, raw: &str) -> Option<Field> {
        let index = self.codes.iter().position(|c| c == raw)?;
        // The reference loader caps lists at i16::MAX codes.
        i16::try_from(index).ok().map(Field::Code)
    }
}

const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Strict `YYYY-MM-DD` to days since 1970-01-01; nothing else is a date.
pub fn parse_date(raw: &str) -> Option<i32> {
    let b = raw.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)?;
    Some(days_since_epoch(date))
}

pub fn days_since_epoch(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

pub fn date_from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(UNIX_EPOCH_DAYS_FROM_CE)?)
}

/// Formats days since 1970-01-01 as `YYYY-MM-DD` for messages.
pub fn format_days(days: i32) -> String {
    date_from_days(days).map_or_else(|| days.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// An optional minus sign, then ASCII digits; no spaces, plus signs or
/// decimal points.
fn parse_integer(raw: &str) -> Option<i64> {
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_are_strict() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2005-03-31"), Some(12_873));
        assert_eq!(parse_date("2004-02-29"), Some(12_477));
        for bad in [
            "2003-02-29",
            "2005-3-31",
            "31/03/2005",
            "2005-03-31 ",
            "2005-13-01",
            "２005-03-31",
            "+005-03-31",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn integers_are_strict() {
        assert_eq!(parse_integer("36"), Some(36));
        assert_eq!(parse_integer("-4"), Some(-4));
        for bad in [
            "",
            "-",
            "+4",
            " 4",
            "4.0",
            "1e3",
            "four",
            "9999999999999999999",
        ] {
            assert_eq!(parse_integer(bad), None, "{bad}");
        }
    }

    proptest! {
        #![proptest_config(dtto_testing::deterministic(256, 1024))]

        #[test]
        fn date_parsing_round_trips(days in -700_000i32..2_900_000) {
            let text = format_days(days);
            prop_assume!(text.len() == 10);
            prop_assert_eq!(parse_date(&text), Some(days));
        }

        #[test]
        fn date_parsing_never_panics(raw in "\\PC{0,12}") {
            let _ = parse_date(&raw);
            let _ = parse_integer(&raw);
        }
    }
}
