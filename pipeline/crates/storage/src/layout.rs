//! Where an edition's files go: every folder and file name of an edition,
//! written here once, for the run that writes it, the revisions and the
//! preview that look for an earlier one, and `dtto diff` that reads two.
//!
//! ```text
//! output/<period>/
//!   public/        the edition a publisher copies whole to the website
//!     index.html  bulletin.pdf  tables.ods  revisions.csv  manifest.json
//!     data/<table>.csv  data/series/<table>.csv  charts/<chart>.svg
//!   sign-off/      what the sign-off team reads, never published: it says
//!     qa.html  disclosure_audit.csv  manifest.json    which figures were small
//! ```

use std::path::{Path, PathBuf};

const PUBLIC: &str = "public";
const SIGN_OFF: &str = "sign-off";
const DATA: &str = "data";
const SERIES: &str = "series";
const CHARTS: &str = "charts";
const MANIFEST: &str = "manifest.json";

/// An edition's folder (`output/2005Q2`) and the place of each of its
/// files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionLayout {
    dir: PathBuf,
}

impl EditionLayout {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        EditionLayout { dir: dir.into() }
    }

    /// The public edition, published whole.
    pub fn public(&self) -> PathBuf {
        self.dir.join(PUBLIC)
    }

    /// The sign-off material, never published.
    pub fn sign_off(&self) -> PathBuf {
        self.dir.join(SIGN_OFF)
    }

    /// The period's tables, one CSV each.
    pub fn data(&self) -> PathBuf {
        self.public().join(DATA)
    }

    /// The tables' series, one CSV each.
    pub fn series(&self) -> PathBuf {
        self.data().join(SERIES)
    }

    pub fn charts(&self) -> PathBuf {
        self.public().join(CHARTS)
    }

    pub fn table_csv(&self, id: &str) -> PathBuf {
        self.public().join(table_csv_name(id))
    }

    pub fn series_csv(&self, id: &str) -> PathBuf {
        self.public().join(series_csv_name(id))
    }

    pub fn chart(&self, id: &str) -> PathBuf {
        self.charts().join(format!("{id}.svg"))
    }

    pub fn bulletin_html(&self) -> PathBuf {
        self.public().join("index.html")
    }

    pub fn bulletin_pdf(&self) -> PathBuf {
        self.public().join("bulletin.pdf")
    }

    pub fn spreadsheet(&self) -> PathBuf {
        self.public().join("tables.ods")
    }

    pub fn revisions_csv(&self) -> PathBuf {
        self.public().join("revisions.csv")
    }

    /// Hashes of the public files only: a hash of the audit would let a
    /// reader confirm a guess of which figures were small.
    pub fn public_manifest(&self) -> PathBuf {
        self.public().join(MANIFEST)
    }

    /// Hashes of both parts.
    pub fn sign_off_manifest(&self) -> PathBuf {
        self.sign_off().join(MANIFEST)
    }

    pub fn qa(&self) -> PathBuf {
        self.sign_off().join("qa.html")
    }

    pub fn audit(&self) -> PathBuf {
        self.sign_off().join("disclosure_audit.csv")
    }
}

/// Where answers to requests go, under the output folder.
const ANSWERS: &str = "answers";
/// The register of released answers, in [`ANSWERS`].
const REGISTER: &str = "register.csv";

/// Where each file of an answer to a request is: a public part and a
/// sign-off part, laid out as an edition's.
pub struct AnswerLayout {
    parts: EditionLayout,
}

impl AnswerLayout {
    /// The files of an answer laid out in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        AnswerLayout {
            parts: EditionLayout::new(dir),
        }
    }

    /// Answer `id`'s folder under `output`: `output/answers/<id>`.
    pub fn of(output: &Path, id: &str) -> Self {
        AnswerLayout::new(output.join(ANSWERS).join(id))
    }

    pub fn dir(&self) -> &Path {
        &self.parts.dir
    }

    pub fn public(&self) -> PathBuf {
        self.parts.public()
    }

    pub fn sign_off(&self) -> PathBuf {
        self.parts.sign_off()
    }

    pub fn data(&self) -> PathBuf {
        self.parts.data()
    }

    pub fn table_csv(&self, name: &str) -> PathBuf {
        self.parts.table_csv(name)
    }

    pub fn html(&self) -> PathBuf {
        self.public().join("answer.html")
    }

    pub fn pdf(&self) -> PathBuf {
        self.public().join("answer.pdf")
    }

    pub fn withheld(&self) -> PathBuf {
        self.sign_off().join("withheld.csv")
    }
}

/// The register of released answers under `output`.
pub fn register(output: &Path) -> PathBuf {
    output.join(ANSWERS).join(REGISTER)
}

/// A table's CSV as the public edition names it: `data/retention.csv`.
pub fn table_csv_name(id: &str) -> String {
    format!("{DATA}/{id}.csv")
}

/// A series' CSV as the public edition names it:
/// `data/series/retention.csv`.
pub fn series_csv_name(id: &str) -> String {
    format!("{DATA}/{SERIES}/{id}.csv")
}

/// The tables of a copy laid out as `data/` alone (what `dtto diff` also
/// reads), with its series in `data/series/`.
pub fn bare_data(dir: &Path) -> PathBuf {
    dir.join(DATA)
}

/// The folder of the series beneath a folder of tables.
pub fn series_in(data: &Path) -> PathBuf {
    data.join(SERIES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_an_edition_has_its_place() {
        let edition = EditionLayout::new("output/2005Q2");
        let at = |path: PathBuf| path.to_string_lossy().replace('\\', "/");
        assert_eq!(
            at(edition.table_csv("retention")),
            "output/2005Q2/public/data/retention.csv"
        );
        assert_eq!(
            at(edition.series_csv("retention")),
            "output/2005Q2/public/data/series/retention.csv"
        );
        assert_eq!(
            at(edition.chart("retention-series")),
            "output/2005Q2/public/charts/retention-series.svg"
        );
        assert_eq!(
            at(edition.public_manifest()),
            "output/2005Q2/public/manifest.json"
        );
        assert_eq!(
            at(edition.sign_off_manifest()),
            "output/2005Q2/sign-off/manifest.json"
        );
        assert_eq!(
            at(edition.audit()),
            "output/2005Q2/sign-off/disclosure_audit.csv"
        );
        assert_eq!(
            at(series_in(&bare_data(Path::new("copy")))),
            "copy/data/series"
        );
    }
}
