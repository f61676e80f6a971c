//! Finding and opening a delivery's files: `.csv` or `.csv.gz`, with or
//! without a byte-order mark.

use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use indicatif::ProgressBar;

use super::digest::{ReadDigest, open_hashed};
use super::error::IngestError;
use super::lines::{LineCounter, LineTrackingReader, RecordLimits};
use dtto_model::contract::ExtractFile;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A file opened for its one reading.
pub struct Opened {
    /// The CSV records of the file's text, decompressed and without a BOM.
    pub reader: csv::Reader<Box<dyn Read>>,
    /// Gives the records' line numbers.
    pub lines: LineCounter,
    /// The hash of the bytes read from disk.
    pub digest: ReadDigest,
}

/// One data file of a delivery as found on disk.
#[derive(Debug, Clone)]
pub struct Source {
    pub file: ExtractFile,
    pub path: PathBuf,
    pub compressed: bool,
    /// Size on disk, compressed or not.
    pub bytes: u64,
}

impl Source {
    /// Finds `NAME.csv` or `NAME.csv.gz`; exactly one must be present.
    pub fn locate(dir: &Path, file: ExtractFile) -> Result<Source, IngestError> {
        let plain = dir.join(format!("{}.csv", file.name()));
        let gzipped = dir.join(format!("{}.csv.gz", file.name()));
        let (path, compressed) = match (plain.is_file(), gzipped.is_file()) {
            (true, false) => (plain, false),
            (false, true) => (gzipped, true),
            (true, true) => {
                return Err(IngestError::AmbiguousFile {
                    path: plain,
                    name: file.name(),
                });
            }
            (false, false) => {
                return Err(IngestError::MissingFile {
                    path: plain,
                    expected: format!("{0}.csv or {0}.csv.gz", file.name()),
                });
            }
        };
        let bytes = std::fs::metadata(&path)
            .map_err(|e| unreadable(&path, e))?
            .len();
        Ok(Source {
            file,
            path,
            compressed,
            bytes,
        })
    }

    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    /// Opens the file for reading its records. Bytes read from disk are
    /// hashed and advance `progress`; a record over `limits` fails the
    /// read.
    pub fn open(
        &self,
        progress: &ProgressBar,
        limits: RecordLimits,
    ) -> Result<Opened, IngestError> {
        let (file, digest) = open_hashed(&self.path).map_err(|e| unreadable(&self.path, e))?;
        let raw = progress.wrap_read(file);
        let text: Box<dyn Read + Send> = if self.compressed {
            Box::new(MultiGzDecoder::new(BufReader::with_capacity(1 << 16, raw)))
        } else {
            Box::new(raw)
        };
        let text = without_bom(text).map_err(|e| unreadable(&self.path, e))?;
        let (text, lines) = LineTrackingReader::new(text, limits);
        let reader = csv::ReaderBuilder::new()
            .flexible(true)
            .buffer_capacity(1 << 18)
            .from_reader(Box::new(text) as Box<dyn Read>);
        Ok(Opened {
            reader,
            lines,
            digest,
        })
    }
}

/// The text after a leading byte-order mark, if there is one.
fn without_bom<R: Read>(mut text: R) -> std::io::Result<std::io::Chain<Cursor<Vec<u8>>, R>> {
    let mut start = Vec::with_capacity(BOM.len());
    (&mut text).take(BOM.len() as u64).read_to_end(&mut start)?;
    if start == BOM {
        start.clear();
    }
    Ok(Cursor::new(start).chain(text))
}

fn unreadable(path: &Path, error: impl std::fmt::Display) -> IngestError {
    IngestError::Unreadable {
        path: path.to_path_buf(),
        line: 0,
        problem: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        without_bom(bytes).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn only_a_leading_bom_is_dropped() {
        assert_eq!(text_of(b"\xEF\xBB\xBFa,b\n"), b"a,b\n");
        assert_eq!(text_of(b"a,b\n"), b"a,b\n");
        assert_eq!(text_of(b"ab"), b"ab");
        assert_eq!(text_of(b""), b"");
        assert_eq!(text_of(b"a\xEF\xBB\xBF"), b"a\xEF\xBB\xBF");
    }
}
