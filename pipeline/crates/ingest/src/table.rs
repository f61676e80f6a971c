//! Typed Arrow batches from validated rows, and the Parquet dataset they go
//! to: Date32 dates, Int32 integers, dictionary-encoded codes, zstd.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow::array::{
    ArrayRef, Date32Builder, DictionaryArray, Int16Builder, Int32Builder, StringArray,
    StringBuilder,
};
use arrow::datatypes::{DataType, Field as ArrowField, Int16Type, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use super::fields::{Field, FieldParser};
use super::rules::Row;
use dtto_model::contract::{Column, ExtractFile, Kind};

/// Rows per Arrow batch: large enough to amortise, small enough that
/// memory stays flat however big the file is.
pub(crate) const BATCH_ROWS: usize = 64 * 1024;

/// Text bytes per Arrow batch: a batch is also cut here, so that long
/// fields keep memory flat too, and a text column's 32-bit offsets (at most
/// 2 GiB a batch) can never overflow whatever the field limit (one field is
/// at most `MAX_LINE_BYTES`, checked with the configuration).
pub(crate) const BATCH_TEXT_BYTES: usize = 32 << 20;

/// Encoded bytes a Parquet row group may hold in memory before it is
/// written out; real extracts stay far below it (a million rows are a few
/// tens of MiB), so only long fields cut row groups short.
const ROW_GROUP_BYTES: usize = 256 << 20;

/// The Arrow schema of a file's dataset.
pub(crate) fn schema(columns: &[Column]) -> SchemaRef {
    let fields: Vec<ArrowField> = columns
        .iter()
        .map(|column| {
            let data_type = match column.kind {
                Kind::Text => DataType::Utf8,
                Kind::Date => DataType::Date32,
                Kind::Integer { .. } => DataType::Int32,
                Kind::Code(_) | Kind::Reference(_) => {
                    DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8))
                }
            };
            ArrowField::new(column.name, data_type, !column.required)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

enum ColumnBuilder {
    Text(StringBuilder),
    Date(Date32Builder),
    Int(Int32Builder),
    /// Codes are validated against a fixed list, so the dictionary is that
    /// list and each row appends only its index.
    Code {
        keys: Int16Builder,
        values: ArrayRef,
    },
}

/// Accumulates validated rows into one Arrow batch at a time.
pub(crate) struct BatchBuilder {
    schema: SchemaRef,
    columns: Vec<ColumnBuilder>,
    rows: usize,
    text_bytes: usize,
}

impl BatchBuilder {
    pub(crate) fn new(file: ExtractFile, parsers: &[FieldParser]) -> Self {
        let columns = parsers
            .iter()
            .map(|p| match p.column.kind {
                Kind::Text => {
                    ColumnBuilder::Text(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 12))
                }
                Kind::Date => ColumnBuilder::Date(Date32Builder::with_capacity(BATCH_ROWS)),
                Kind::Integer { .. } => ColumnBuilder::Int(Int32Builder::with_capacity(BATCH_ROWS)),
                Kind::Code(_) | Kind::Reference(_) => ColumnBuilder::Code {
                    keys: Int16Builder::with_capacity(BATCH_ROWS),
                    values: Arc::new(StringArray::from_iter_values(&p.codes)),
                },
            })
            .collect();
        BatchBuilder {
            schema: schema(file.columns()),
            columns,
            rows: 0,
            text_bytes: 0,
        }
    }

    /// Whether the batch should be written before another row is added.
    pub(crate) fn is_full(&self) -> bool {
        self.rows >= BATCH_ROWS || self.text_bytes >= BATCH_TEXT_BYTES
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub(crate) fn append(&mut self, row: &Row) {
        for (column, (builder, field)) in self.columns.iter_mut().zip(row.fields).enumerate() {
            match (builder, *field) {
                (ColumnBuilder::Text(b), Field::Text) => {
                    let text = row.text(column);
                    self.text_bytes += text.len();
                    b.append_value(text);
                }
                (ColumnBuilder::Date(b), Field::Date(days)) => b.append_value(days),
                (ColumnBuilder::Int(b), Field::Int(value)) => b.append_value(value),
                (ColumnBuilder::Code { keys, .. }, Field::Code(key)) => keys.append_value(key),
                (ColumnBuilder::Text(b), _) => b.append_null(),
                (ColumnBuilder::Date(b), _) => b.append_null(),
                (ColumnBuilder::Int(b), _) => b.append_null(),
                (ColumnBuilder::Code { keys, .. }, _) => keys.append_null(),
            }
        }
        self.rows += 1;
    }

    /// The rows so far as a batch; the builder starts empty again.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let arrays = self
            .columns
            .iter_mut()
            .map(|builder| -> Result<ArrayRef, ArrowError> {
                Ok(match builder {
                    ColumnBuilder::Text(b) => Arc::new(b.finish()),
                    ColumnBuilder::Date(b) => Arc::new(b.finish()),
                    ColumnBuilder::Int(b) => Arc::new(b.finish()),
                    ColumnBuilder::Code { keys, values } => Arc::new(
                        DictionaryArray::<Int16Type>::try_new(keys.finish(), values.clone())?,
                    ),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.rows = 0;
        self.text_bytes = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
    }
}

/// The one Parquet file of a file's dataset in the warehouse.
pub(crate) const DATASET_FILE: &str = "part-00000.parquet";

/// Writes a file's dataset on its own thread, so Parquet encoding and
/// compression overlap with parsing and validation. The channel is bounded:
/// at most two batches wait, whatever the file's size.
pub(crate) struct ParquetSink {
    sender: Option<SyncSender<RecordBatch>>,
    writer: Option<JoinHandle<Result<(), ParquetError>>>,
    path: PathBuf,
}

impl ParquetSink {
    /// Starts `<dir>/<file>/part-00000.parquet`.
    pub(crate) fn create(
        dir: &Path,
        file: ExtractFile,
        schema: SchemaRef,
    ) -> Result<Self, ParquetError> {
        let dataset = dir.join(file.name());
        std::fs::create_dir_all(&dataset)?;
        let path = dataset.join(DATASET_FILE);
        let mut properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            .set_created_by(format!("dtto {}", env!("CARGO_PKG_VERSION")));
        // A unique key never repeats, so a dictionary for it is wasted work.
        // Nor does any query pick a range of one no other file refers to, so
        // its minimum and maximum would prune nothing: leaving them out saves
        // a tenth of a shuffled drug-test load's CPU.
        if let Some(key) = file.unique_key() {
            properties = properties.set_column_dictionary_enabled(key.into(), false);
            if !file.key_referred_to() {
                properties =
                    properties.set_column_statistics_enabled(key.into(), EnabledStatistics::None);
            }
        }
        let mut writer =
            ArrowWriter::try_new(File::create(&path)?, schema, Some(properties.build()))?;
        let (sender, receiver) = sync_channel::<RecordBatch>(2);
        let handle = std::thread::spawn(move || {
            for batch in receiver {
                writer.write(&batch)?;
                if writer.in_progress_size() > ROW_GROUP_BYTES {
                    writer.flush()?;
                }
            }
            writer.close().map(|_| ())
        });
        Ok(ParquetSink {
            sender: Some(sender),
            writer: Some(handle),
            path,
        })
    }

    pub(crate) fn write(&mut self, batch: RecordBatch) -> Result<(), ParquetError> {
        let sent = self.sender.as_ref().map(|s| s.send(batch));
        match sent {
            Some(Ok(())) => Ok(()),
            // The writer thread stopped early: its own error says why.
            _ => Err(self.finish().err().unwrap_or_else(|| {
                ParquetError::General(format!(
                    "the writer of {} stopped before every batch was written",
                    self.path.display()
                ))
            })),
        }
    }

    /// Waits for every batch to be written and the file closed.
    pub(crate) fn finish(&mut self) -> Result<(), ParquetError> {
        self.sender.take();
        match self.writer.take().map(JoinHandle::join) {
            None => Err(ParquetError::General(format!(
                "{} was already closed",
                self.path.display()
            ))),
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ParquetError::General(format!(
                "the writer of {} stopped unexpectedly",
                self.path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtto_model::reference::ReferenceLists;

    #[test]
    fn a_batch_is_cut_at_its_text_bytes_as_well_as_its_rows() {
        let reference = ReferenceLists::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../queries/reference"),
        )
        .unwrap();
        let file = ExtractFile::TreatmentEpisodes;
        let parsers: Vec<FieldParser> = file
            .columns()
            .iter()
            .map(|c| FieldParser::new(*c, &reference))
            .collect();
        let mut batch = BatchBuilder::new(file, &parsers);
        // person_id of 1 MiB, start_date, setting.
        let record = csv::StringRecord::from(vec![
            "p".repeat(1 << 20),
            "2004-01-01".into(),
            "prison".into(),
        ]);
        let fields = [Field::Text, Field::Date(12_418), Field::Code(2)];
        let positions = [Some(0), Some(1), Some(2)];
        let row = Row {
            fields: &fields,
            record: &record,
            positions: &positions,
        };
        // 32 rows of 1 MiB are the 32 MiB a batch may hold.
        for _ in 0..31 {
            batch.append(&row);
        }
        assert!(!batch.is_full());
        batch.append(&row);
        assert!(batch.is_full());
        assert_eq!(batch.finish().unwrap().num_rows(), 32);
        assert!(!batch.is_full());
    }
}
