//! Whether a delivery's `as_at` can be the date its extract was taken.
//!
//! Every window a run publishes is placed by `as_at` (the default period is
//! the latest quarter complete by then). A date in the future, or long
//! after the delivery's last record, would publish quarters nobody has
//! data for as if they were true zeros (`as_at = "2050-03-31"` made an
//! empty 2050Q1 edition and exited 0). Both are refused at ingest, before
//! anything is published.

use std::fs::File;
use std::path::Path;

use chrono::{Months, NaiveDate};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::statistics::Statistics;

use super::error::IngestError;
use super::fields::date_from_days;
use super::table::DATASET_FILE;
use dtto_model::contract::{ExtractFile, Kind};

/// How long a national extract can go with no record at all: a quarter.
/// Orders commence, tests are taken and convictions recorded every day.
const QUIET_AT_MOST: Months = Months::new(3);

/// Refuses an `as_at` after `today`: no extract is taken in the future.
pub(crate) fn refuse_future(
    control: &Path,
    as_at: NaiveDate,
    today: NaiveDate,
) -> Result<(), IngestError> {
    if as_at > today {
        return Err(IngestError::AsAtInFuture {
            path: control.to_path_buf(),
            as_at,
            today,
        });
    }
    Ok(())
}

/// Refuses an `as_at` more than a quarter after `latest`, the latest date
/// of any record loaded. A delivery with no dated record is left to the
/// run, which refuses every period of it (no Order commenced).
pub(crate) fn refuse_after_data(
    control: &Path,
    as_at: NaiveDate,
    latest: Option<NaiveDate>,
) -> Result<(), IngestError> {
    let Some(latest) = latest else {
        return Ok(());
    };
    if latest
        .checked_add_months(QUIET_AT_MOST)
        .is_some_and(|allowed| as_at > allowed)
    {
        return Err(IngestError::AsAtAfterData {
            path: control.to_path_buf(),
            as_at,
            latest,
        });
    }
    Ok(())
}

/// The latest date in any date column of the delivery loaded into
/// `staging`, from the maxima its Parquet files keep per row group: no
/// row is read again.
pub(crate) fn latest_date(staging: &Path) -> Result<Option<NaiveDate>, IngestError> {
    let mut latest = None;
    for file in ExtractFile::ALL {
        let path = staging.join(file.name()).join(DATASET_FILE);
        let unreadable = |e: &dyn std::fmt::Display| IngestError::storage(&path, e);
        let reader = File::open(&path)
            .map_err(|e| unreadable(&e))
            .and_then(|f| SerializedFileReader::new(f).map_err(|e| unreadable(&e)))?;
        let dates: Vec<&str> = file
            .columns()
            .iter()
            .filter(|c| c.kind == Kind::Date)
            .map(|c| c.name)
            .collect();
        for group in reader.metadata().row_groups() {
            for column in group.columns() {
                if !dates.contains(&column.column_path().string().as_str()) {
                    continue;
                }
                if let Some(Statistics::Int32(values)) = column.statistics()
                    && let Some(date) = values.max_opt().copied().and_then(date_from_days)
                {
                    latest = latest.max(Some(date));
                }
            }
        }
    }
    Ok(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn as_at_may_be_today_but_not_tomorrow() {
        let control = Path::new("extract.toml");
        assert!(refuse_future(control, date("2026-12-06"), date("2026-12-06")).is_ok());
        let error = refuse_future(control, date("2026-12-07"), date("2026-12-06")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "extract.toml: as_at is 2026-12-07, after today (2026-12-06): no extract is taken in \
             the future. Ask the supplier for the date the extract was taken"
        );
    }

    #[test]
    fn as_at_may_be_a_quarter_after_the_latest_record_and_no_more() {
        let control = Path::new("extract.toml");
        let latest = Some(date("2004-12-31"));
        assert!(refuse_after_data(control, date("2005-03-31"), latest).is_ok());
        assert!(refuse_after_data(control, date("2005-04-01"), latest).is_err());
        // From the end of a month to the end of a shorter one.
        let latest = Some(date("2004-11-30"));
        assert!(refuse_after_data(control, date("2005-02-28"), latest).is_ok());
        assert!(refuse_after_data(control, date("2005-03-01"), latest).is_err());
        assert!(refuse_after_data(control, date("2050-03-31"), None).is_ok());
    }
}
