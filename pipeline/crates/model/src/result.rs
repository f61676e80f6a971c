//! What a table's SQL returned, quarter by quarter: the Arrow batches
//! the statistics stage reads.

use arrow::record_batch::RecordBatch;

use crate::catalogue::TableQuery;
use crate::period::Period;

/// A table's rows for every quarter the edition publishes it for.
#[derive(Clone)]
pub struct TableResult {
    pub table: TableQuery,
    /// The first quarter of its published series: `None` for a table that
    /// counts over no rolling window, or whose window the delivery covers
    /// for no quarter up to the period.
    pub series_from: Option<Period>,
    /// Its rows for each quarter published, oldest first: the series, the
    /// period and a year earlier.
    pub windows: Vec<(Period, Vec<RecordBatch>)>,
    /// Its rows for each single quarter that makes up a published 12
    /// months (none without a rolling window): never published, they tell
    /// disclosure control what a reader could find by subtracting
    /// neighbouring quarters.
    pub singles: Vec<(Period, Vec<RecordBatch>)>,
}

impl TableResult {
    pub fn window(&self, quarter: Period) -> Option<&[RecordBatch]> {
        self.windows
            .iter()
            .find(|(q, _)| *q == quarter)
            .map(|(_, batches)| batches.as_slice())
    }
}
