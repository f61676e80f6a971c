//! Rejected rows, kept so that a person can fix and resubmit them:
//! `quarantine/<file>.csv` holds each rejected row as it arrived, under the
//! file's own header; `quarantine/errors.csv` says for every row which
//! line, column and rule.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::contract::ExtractFile;
use super::violation::Violation;

pub const ERRORS_FILE: &str = "errors.csv";

type Output = csv::Writer<Counted<BufWriter<File>>>;

pub struct Quarantine {
    dir: PathBuf,
    errors: Option<Output>,
    rows: Option<Output>,
    /// Bytes handed to both files so far, so that what a delivery leaves
    /// on disk can be capped.
    bytes: Rc<Cell<u64>>,
}

impl Quarantine {
    pub fn new(dir: &Path) -> Self {
        Quarantine {
            dir: dir.to_path_buf(),
            errors: None,
            rows: None,
            bytes: Rc::default(),
        }
    }

    /// Bytes of rejected rows and errors written so far (within the csv
    /// writers' small buffers).
    pub fn bytes(&self) -> u64 {
        self.bytes.get()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Closes the previous file's rejected rows; the next file's are
    /// started on its first rejection.
    pub fn start_file(&mut self) -> std::io::Result<()> {
        if let Some(mut rows) = self.rows.take() {
            rows.flush()?;
        }
        Ok(())
    }

    /// Keeps one rejected row with every rule it broke.
    pub fn reject(
        &mut self,
        file: ExtractFile,
        source_name: &str,
        header: &csv::StringRecord,
        record: &csv::StringRecord,
        line: u64,
        violations: &[Violation],
    ) -> Result<(), csv::Error> {
        if self.rows.is_none() {
            let mut rows = self.open(&format!("{}.csv", file.name()))?;
            rows.write_record(header)?;
            self.rows = Some(rows);
        }
        if self.errors.is_none() {
            let mut errors = self.open(ERRORS_FILE)?;
            errors.write_record(["file", "line", "column", "rule", "detail"])?;
            self.errors = Some(errors);
        }
        if let Some(rows) = self.rows.as_mut() {
            rows.write_record(record)?;
        }
        if let Some(errors) = self.errors.as_mut() {
            let line = line.to_string();
            for v in violations {
                errors.write_record([source_name, &line, v.column, v.rule.id(), &v.detail])?;
            }
        }
        Ok(())
    }

    pub fn finish(&mut self) -> std::io::Result<()> {
        self.start_file()?;
        if let Some(mut errors) = self.errors.take() {
            errors.flush()?;
        }
        Ok(())
    }

    fn open(&self, name: &str) -> Result<Output, csv::Error> {
        std::fs::create_dir_all(&self.dir)?;
        let file = File::create(self.dir.join(name))?;
        // Rows may have a different field count from the header: a short
        // or long row is kept as it came.
        Ok(csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Counted {
                inner: BufWriter::new(file),
                bytes: self.bytes.clone(),
            }))
    }
}

/// A writer that adds what passes through it to a shared count.
struct Counted<W> {
    inner: W,
    bytes: Rc<Cell<u64>>,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
