//! Rejected rows, kept so that a person can fix and resubmit them:
//! `quarantine/<file>.csv` holds each rejected row as it arrived, under the
//! file's own header; `quarantine/errors.csv` says for every row which
//! line, column and rule.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::violation::Violation;
use dtto_model::contract::ExtractFile;

pub(crate) const ERRORS_FILE: &str = "errors.csv";

type Output = csv::Writer<Counted<BufWriter<File>>>;

pub(crate) struct Quarantine {
    dir: PathBuf,
    errors: Option<Output>,
    rows: Option<Output>,
    /// Bytes handed to both files so far, so that what a delivery leaves
    /// on disk can be capped.
    bytes: Rc<Cell<u64>>,
}

impl Quarantine {
    pub(crate) fn new(dir: &Path) -> Self {
        Quarantine {
            dir: dir.to_path_buf(),
            errors: None,
            rows: None,
            bytes: Rc::default(),
        }
    }

    /// Bytes of rejected rows and errors written so far (within the csv
    /// writers' small buffers).
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.get()
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Closes the previous file's rejected rows; the next file's are
    /// started on its first rejection.
    pub(crate) fn start_file(&mut self) -> std::io::Result<()> {
        if let Some(mut rows) = self.rows.take() {
            rows.flush()?;
        }
        Ok(())
    }

    /// Where the quarantine stands before a file is read, to go back to
    /// if the file is read again.
    pub(crate) fn mark(&mut self) -> std::io::Result<Mark> {
        let errors_len = match self.errors.as_mut() {
            Some(errors) => {
                errors.flush()?;
                Some(file_of(errors).metadata()?.len())
            }
            None => None,
        };
        Ok(Mark {
            errors_len,
            bytes: self.bytes(),
        })
    }

    /// Forgets what was rejected from `file` since `mark`.
    pub(crate) fn rewind(&mut self, mark: Mark, file: ExtractFile) -> std::io::Result<()> {
        self.rows = None;
        remove_if_present(&self.dir.join(format!("{}.csv", file.name())))?;
        match (mark.errors_len, self.errors.as_mut()) {
            (Some(len), Some(errors)) => {
                errors.flush()?;
                let mut file = file_of(errors);
                file.set_len(len)?;
                file.seek(SeekFrom::Start(len))?;
            }
            _ => {
                self.errors = None;
                remove_if_present(&self.dir.join(ERRORS_FILE))?;
            }
        }
        self.bytes.set(mark.bytes);
        Ok(())
    }

    /// Keeps one rejected row with every rule it broke.
    pub(crate) fn reject(
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

    pub(crate) fn finish(&mut self) -> std::io::Result<()> {
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

/// The file under an output's buffers, to measure or cut back once they
/// are flushed.
fn file_of(output: &Output) -> &File {
    output.get_ref().inner.get_ref()
}

/// The quarantine's size before a file, from [`Quarantine::mark`].
pub(crate) struct Mark {
    errors_len: Option<u64>,
    bytes: u64,
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::violation::Rule;

    fn reject(quarantine: &mut Quarantine, file: ExtractFile, id: &str, line: u64) {
        let header = csv::StringRecord::from(vec!["id"]);
        let row = csv::StringRecord::from(vec![id]);
        let violation = Violation::new("id", Rule::Required, "missing");
        let name = format!("{}.csv", file.name());
        quarantine
            .reject(file, &name, &header, &row, line, &[violation])
            .unwrap();
    }

    #[test]
    fn rewinding_forgets_one_file_and_keeps_the_files_before() {
        let dir = tempfile::tempdir().unwrap();
        let mut quarantine = Quarantine::new(dir.path());
        reject(&mut quarantine, ExtractFile::Orders, "O1", 2);
        quarantine.start_file().unwrap();
        let before = quarantine.mark().unwrap();
        let bytes = quarantine.bytes();
        reject(&mut quarantine, ExtractFile::DrugTests, "T1", 3);
        reject(&mut quarantine, ExtractFile::DrugTests, "T2", 4);

        quarantine.rewind(before, ExtractFile::DrugTests).unwrap();
        assert_eq!(quarantine.bytes(), bytes);
        assert!(!dir.path().join("drug_tests.csv").exists());
        reject(&mut quarantine, ExtractFile::DrugTests, "T2", 4);
        quarantine.finish().unwrap();

        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(
            read(ERRORS_FILE),
            "file,line,column,rule,detail\n\
             orders.csv,2,id,required,missing\n\
             drug_tests.csv,4,id,required,missing\n"
        );
        assert_eq!(read("orders.csv"), "id\nO1\n");
        assert_eq!(read("drug_tests.csv"), "id\nT2\n");
    }

    #[test]
    fn rewinding_the_first_file_with_rejections_removes_the_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut quarantine = Quarantine::new(dir.path());
        let before = quarantine.mark().unwrap();
        reject(&mut quarantine, ExtractFile::Orders, "O1", 2);
        quarantine.rewind(before, ExtractFile::Orders).unwrap();
        quarantine.finish().unwrap();
        assert_eq!(quarantine.bytes(), 0);
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }
}
