//! The register of released answers, `output/answers/register.csv`: one
//! row for each figure an answer published (its value, or `[c]`), with the
//! request, the date it was released, the edition and delivery it was
//! answered from, and the SHA-256 of the table's published CSV. Every
//! later answer from the same delivery reads it, and is protected against
//! what it lists.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use dtto_model::exit::Exit;
use dtto_model::period::Period;
use dtto_model::request::RequestFiles;
use dtto_model::table::{Figure, Shorthand};
use dtto_protect::disclosure::answer::{AnswerTable, ReleasedTable};
use dtto_protect::disclosure::suppression::Released;
use dtto_protect::disclosure::{ProtectedTable, ProtectedValue, Shown};
use dtto_storage::durable::{DiskError, replace_file};
use dtto_storage::layout::AnswerLayout;

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error(transparent)]
    Disk(#[from] DiskError),
    #[error(
        "answer {id}, released on {released}, published {figure}: the delivery or its request \
         changed since; every later answer must be protected against what was published"
    )]
    Differs {
        id: String,
        released: String,
        /// Which figure, what was published and what its query gives now.
        figure: String,
    },
    #[error(
        "{}: the request of answer {id} has changed since it was released; its figures are \
         worked out again from these files, so put them back as they were released",
        dir.display()
    )]
    RequestChanged { id: String, dir: PathBuf },
}

impl RegisterError {
    pub fn exit(&self) -> Exit {
        match self {
            RegisterError::Differs { .. } | RegisterError::RequestChanged { .. } => Exit::Queries,
            _ => Exit::Storage,
        }
    }
}

/// One figure of one released answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Row {
    answer: String,
    kind: String,
    question: String,
    asked_by: String,
    released: String,
    edition: String,
    delivery: String,
    table: String,
    quarter: String,
    /// The table's dimensions (`Sex`, `Age band`), a JSON array.
    dimensions: String,
    /// The row's groups, a JSON array in the order of `dimensions`.
    groups: String,
    figure: String,
    /// The value, or `[c]`.
    published: String,
    table_sha256: String,
    /// Of the request's folder as released: its files, by name.
    request_sha256: String,
}

/// Every released answer's figures, in the order released.
#[derive(Debug, Default)]
pub struct Register {
    rows: Vec<Row>,
}

/// One released answer, as the register lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub kind: String,
    pub question: String,
    pub released: String,
    pub edition: String,
    pub figures: usize,
}

/// A released answer's figures, to protect a later one against.
pub struct ReleasedAnswer<'a> {
    pub id: String,
    /// The edition it was answered from, and that edition's delivery.
    pub edition: Period,
    pub delivery: String,
    rows: Vec<&'a Row>,
}

impl ReleasedAnswer<'_> {
    /// What it published, every figure, as text: equal for the same
    /// register rows.
    pub fn fingerprint(&self) -> String {
        format!("{:?}", self.rows)
    }

    /// Its request's folder is as it was released: its figures are worked
    /// out again from it, so a changed query, quarter or `show` would give
    /// other figures than the ones readers have.
    pub fn check_request(&self, dir: &Path) -> Result<(), RegisterError> {
        let released = self.rows.first().map(|row| row.request_sha256.as_str());
        if released == Some(request_sha256(dir)?.as_str()) {
            return Ok(());
        }
        Err(RegisterError::RequestChanged {
            id: self.id.clone(),
            dir: dir.to_path_buf(),
        })
    }
}

/// How the figures of a released answer, worked out again, must compare
/// with those it published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The same delivery: every figure as published, or the register is
    /// not what the delivery gives.
    Exactly,
    /// Another delivery: a figure revised since is one a reader does not
    /// hold, and is left out.
    Unrevised,
}

impl Register {
    pub fn path(output: &Path) -> PathBuf {
        dtto_storage::layout::register(output)
    }

    /// The register under `output`; empty where none was written.
    pub fn read(output: &Path) -> Result<Register, RegisterError> {
        let path = Register::path(output);
        if !path.exists() {
            return Ok(Register::default());
        }
        let unreadable = |reason: String| RegisterError::Unreadable {
            path: path.clone(),
            reason,
        };
        let mut reader = csv::Reader::from_path(&path).map_err(|e| unreadable(e.to_string()))?;
        let rows = reader
            .deserialize()
            .collect::<Result<Vec<Row>, _>>()
            .map_err(|e| unreadable(e.to_string()))?;
        // Line 1 is the header. A row that does not read would protect
        // nothing: refused, not passed over.
        for (line, row) in (2..).zip(&rows) {
            let wrong = |what: &str, value: &str| {
                unreadable(format!("line {line}: {what} {value:?} does not read"))
            };
            if row.edition.parse::<Period>().is_err() {
                return Err(wrong("the edition", &row.edition));
            }
            if row.quarter.parse::<Period>().is_err() {
                return Err(wrong("the quarter", &row.quarter));
            }
            if Figure::from_name(&row.figure).is_none() {
                return Err(wrong("the figure", &row.figure));
            }
            let list = |text: &str| serde_json::from_str::<Vec<String>>(text).ok();
            let (Some(dimensions), Some(groups)) = (list(&row.dimensions), list(&row.groups))
            else {
                return Err(wrong("the dimensions and groups", &row.groups));
            };
            if dimensions.len() != groups.len() {
                return Err(wrong("the groups", &row.groups));
            }
            let published = row.published == Shorthand::Confidential.mark()
                || row.published.parse::<u64>().is_ok();
            if !published {
                return Err(wrong("the figure published", &row.published));
            }
        }
        Ok(Register { rows })
    }

    /// When answer `id` was released, if it was.
    pub fn released_on(&self, id: &str) -> Option<&str> {
        self.rows
            .iter()
            .find(|row| row.answer == id)
            .map(|row| row.released.as_str())
    }

    /// The released answers, one entry each, in the order released.
    pub fn entries(&self) -> Vec<Entry> {
        self.answers()
            .into_iter()
            .filter_map(|answer| {
                let first = answer.rows.first()?;
                Some(Entry {
                    id: answer.id.clone(),
                    kind: first.kind.clone(),
                    question: first.question.clone(),
                    released: first.released.clone(),
                    edition: first.edition.clone(),
                    figures: answer.rows.len(),
                })
            })
            .collect()
    }

    /// Every released answer, in the order released.
    pub fn answers(&self) -> Vec<ReleasedAnswer<'_>> {
        let mut answers: Vec<ReleasedAnswer> = Vec::new();
        for row in &self.rows {
            // Every row's edition was read as a quarter.
            let Ok(edition) = row.edition.parse::<Period>() else {
                continue;
            };
            match answers.iter_mut().find(|a| a.id == row.answer) {
                Some(answer) => answer.rows.push(row),
                None => answers.push(ReleasedAnswer {
                    id: row.answer.clone(),
                    edition,
                    delivery: row.delivery.clone(),
                    rows: vec![row],
                }),
            }
        }
        answers
    }

    /// Adds the figures of an answer released on `date`: its shown rows'
    /// counts as published, with each table's CSV hash from `layout`.
    pub fn record(
        &mut self,
        files: &RequestFiles,
        delivery: &str,
        date: NaiveDate,
        tables: &[ProtectedTable],
        made: &[AnswerTable],
        layout: &AnswerLayout,
    ) -> Result<(), RegisterError> {
        let request = request_sha256(&files.dir)?;
        for (table, made) in tables.iter().zip(made) {
            let id = &table.metadata().id;
            let csv = layout.table_csv(id);
            let bytes = std::fs::read(&csv).map_err(|e| RegisterError::Unreadable {
                path: csv.clone(),
                reason: e.to_string(),
            })?;
            let sha256 = format!("{:x}", Sha256::digest(&bytes));
            let dimensions = serde_json::to_string(table.dimensions().names()).unwrap_or_default();
            for row in table.rows() {
                let groups = serde_json::to_string(row.groups()).unwrap_or_default();
                for (figure, shown) in counts(row.value()) {
                    self.rows.push(Row {
                        answer: files.id.clone(),
                        kind: files.request.kind.name().to_string(),
                        question: files.request.question.clone(),
                        asked_by: files.request.asked_by.clone(),
                        released: date.to_string(),
                        edition: files.request.edition.to_string(),
                        delivery: delivery.to_string(),
                        table: id.clone(),
                        quarter: made.quarter.to_string(),
                        dimensions: dimensions.clone(),
                        groups: groups.clone(),
                        figure: figure.name().to_string(),
                        published: match shown {
                            Shown::Value(n) => n.to_string(),
                            Shown::Withheld => Shorthand::Confidential.mark().to_string(),
                        },
                        table_sha256: sha256.clone(),
                        request_sha256: request.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Writes the register under `output`, whole, replacing the one there.
    pub fn write(&self, output: &Path) -> Result<(), RegisterError> {
        let path = Register::path(output);
        let unwritable = |reason: String| RegisterError::Unreadable {
            path: path.clone(),
            reason,
        };
        let mut writer = csv::Writer::from_writer(Vec::new());
        for row in &self.rows {
            writer
                .serialize(row)
                .map_err(|e| unwritable(e.to_string()))?;
        }
        let bytes = writer.into_inner().map_err(|e| unwritable(e.to_string()))?;
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| unwritable(e.to_string()))?;
        }
        Ok(replace_file(&path, &bytes)?)
    }
}

/// The SHA-256 of a request's folder: each file's name and bytes, in name
/// order.
pub fn request_sha256(dir: &Path) -> Result<String, RegisterError> {
    let unreadable = |path: &Path, reason: String| RegisterError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let files =
        dtto_storage::publish::files_under(dir).map_err(|e| unreadable(dir, e.to_string()))?;
    let mut hasher = Sha256::new();
    for (name, path) in files {
        let bytes = std::fs::read(&path).map_err(|e| unreadable(&path, e.to_string()))?;
        hasher.update(name.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// The counts a row publishes, each shown or withheld.
fn counts(value: &ProtectedValue) -> Vec<(Figure, Shown<u64>)> {
    match value {
        ProtectedValue::Count(count) => vec![(Figure::Count, *count)],
        ProtectedValue::Rate(rate) => vec![
            (Figure::Numerator, rate.numerator()),
            (Figure::Denominator, rate.denominator()),
        ],
        ProtectedValue::Mean(mean) => vec![
            (Figure::Total, mean.total()),
            (Figure::Denominator, mean.denominator()),
        ],
    }
}

/// A released table's figures by row and figure: what was done with each,
/// and its row of the register.
type Listed<'a> = HashMap<(Vec<String>, Figure), (Released, &'a Row)>;

impl ReleasedAnswer<'_> {
    /// Its tables, worked out again as `tables`, with what it published:
    /// every figure it published must be what its query gives now.
    /// `before_edition`: released from an edition earlier than the one
    /// they are worked out for.
    pub fn tables(
        &self,
        tables: Vec<(String, AnswerTable)>,
        held: Held,
        before_edition: bool,
    ) -> Result<Vec<ReleasedTable>, RegisterError> {
        let mut figures: BTreeMap<&str, Listed> = BTreeMap::new();
        for row in &self.rows {
            let groups: Vec<String> = serde_json::from_str(&row.groups).unwrap_or_default();
            let Some(figure) = Figure::from_name(&row.figure) else {
                continue;
            };
            let released = if row.published == Shorthand::Confidential.mark() {
                Released::Withheld
            } else {
                Released::Shown
            };
            figures
                .entry(row.table.as_str())
                .or_default()
                .insert((groups, figure), (released, row));
        }
        if held == Held::Exactly
            && let Some(missing) = figures
                .keys()
                .find(|name| !tables.iter().any(|(n, _)| n == *name))
        {
            return Err(RegisterError::Differs {
                id: self.id.clone(),
                released: self.rows[0].released.clone(),
                figure: format!("the table {missing}, which its request no longer has"),
            });
        }
        let mut released = Vec::new();
        for (name, table) in tables {
            let mut listed = figures.remove(name.as_str()).unwrap_or_default();
            for stat in &table.table.rows {
                for (figure, now) in stat.value.figures() {
                    let key = (stat.groups.clone(), figure);
                    let Some((Released::Shown, row)) = listed.get(&key) else {
                        continue;
                    };
                    if row.published != now.to_string() && held == Held::Unrevised {
                        listed.remove(&key);
                    } else if row.published != now.to_string() {
                        return Err(RegisterError::Differs {
                            id: self.id.clone(),
                            released: row.released.clone(),
                            figure: format!(
                                "{} = {} for {} {}, where its query now gives {now}",
                                row.figure,
                                row.published,
                                row.table,
                                stat.groups.join(" / ")
                            ),
                        });
                    }
                }
            }
            released.push(ReleasedTable {
                figures: listed
                    .into_iter()
                    .map(|(key, (released, _))| (key, released))
                    .collect(),
                table,
                before_edition,
            });
        }
        Ok(released)
    }
}
