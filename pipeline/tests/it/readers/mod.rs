//! Reader-side checks shared by the tests: each output that shows table
//! figures (the spreadsheet, the HTML pages) must show exactly the counts
//! the CSVs publish, `[c]` exactly where they withhold and `[x]` exactly
//! where they have no figure (a year without a target). Written against
//! the files, not the pipeline's code.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, Ods, Reader, open_workbook};

/// The CSV columns that hold counts, in the order tables show them.
const COUNT_COLUMNS: [&str; 5] = ["target", "count", "numerator", "denominator", "total"];

/// A count as a file shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Count(u64),
    /// `[c]`; an empty cell in a CSV.
    Withheld,
    /// `[x]`.
    NotAvailable,
}

/// One CSV: its dimension values → its counts in column order.
pub struct CsvTable {
    /// The header's names of the dimension columns, which come first.
    pub dimensions: Vec<String>,
    pub rows: BTreeMap<Vec<String>, Vec<Shown>>,
}

/// A CSV's count cell: a withheld count is empty (its status says `[c]`),
/// and so is a target without a value, whose status column says `[x]`.
fn csv_count(text: &str, status: Option<&str>) -> Shown {
    match (text, status) {
        ("", Some("[x]")) => Shown::NotAvailable,
        ("", _) => Shown::Withheld,
        _ => Shown::Count(
            text.parse()
                .unwrap_or_else(|_| panic!("`{text}` in a CSV's count column")),
        ),
    }
}

pub fn read_csv(path: &Path) -> CsvTable {
    let mut reader = crate::support::csv_reader(path);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let counts: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| COUNT_COLUMNS.contains(&h.as_str()))
        .map(|(i, _)| i)
        .collect();
    // `window_ending` labels the months a row counts: a label the tables
    // carry in captions and series columns, not part of a row's name.
    let named: Vec<usize> = (0..counts[0])
        .filter(|&i| header[i] != "window_ending")
        .collect();
    let dimensions = named.iter().map(|&i| header[i].clone()).collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            let groups = named.iter().map(|&i| record[i].to_string()).collect();
            let figures = counts
                .iter()
                .map(|&c| {
                    let status = header
                        .iter()
                        .position(|h| *h == format!("{}_status", header[c]))
                        .map(|s| &record[s]);
                    csv_count(&record[c], status)
                })
                .collect();
            (groups, figures)
        })
        .collect();
    CsvTable { dimensions, rows }
}

/// The period's tables and the series, `data/<id>.csv` by id and
/// `data/series/<id>.csv` by `series/<id>`: what a page's tables show.
pub fn read_all_csvs(output: &Path) -> BTreeMap<String, CsvTable> {
    let mut csvs = read_csvs(output);
    for entry in std::fs::read_dir(output.join("data/series")).unwrap() {
        let path = entry.unwrap().path();
        let id = path.file_stem().unwrap().to_string_lossy().to_string();
        csvs.insert(format!("series/{id}"), read_csv(&path));
    }
    csvs
}

/// The period's tables, `data/<id>.csv`, by id (the series, in
/// `data/series/`, apart).
pub fn read_csvs(output: &Path) -> BTreeMap<String, CsvTable> {
    std::fs::read_dir(output.join("data"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let id = path.file_stem().unwrap().to_string_lossy().to_string();
            (id, read_csv(&path))
        })
        .collect()
}

/// A shown count as a reader sees it: `1,678`, `[c]` or `[x]`.
fn shown(text: &str) -> Result<Shown, String> {
    match text {
        "[c]" => Ok(Shown::Withheld),
        "[x]" => Ok(Shown::NotAvailable),
        _ => text
            .replace(',', "")
            .parse::<u64>()
            .map(Shown::Count)
            .map_err(|_| format!("`{text}` is not a count")),
    }
}

/// Checks one displayed row against the CSV: problems as messages.
fn compare_row(
    id: &str,
    csv: &CsvTable,
    groups: &[String],
    counts: &[String],
    problems: &mut Vec<String>,
) {
    let Some(published) = csv.rows.get(groups) else {
        problems.push(format!("{id} {groups:?}: a row the CSV does not have"));
        return;
    };
    if counts.len() != published.len() {
        problems.push(format!(
            "{id} {groups:?}: {} counts, CSV {}",
            counts.len(),
            published.len()
        ));
        return;
    }
    for (text, csv_value) in counts.iter().zip(published) {
        match shown(text) {
            Ok(value) if value == *csv_value => {}
            Ok(value) => problems.push(format!(
                "{id} {groups:?}: shows {value:?} where the CSV has {csv_value:?}"
            )),
            Err(problem) => problems.push(format!("{id} {groups:?}: {problem}")),
        }
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => format!("{other:?}"),
    }
}

/// The spreadsheet's sheets that come before the tables.
pub const FRONT_SHEETS: [&str; 3] = ["Cover", "Contents", "Notes"];
/// How a series sheet's name ends: `Table_3_series` follows `Table_3`.
pub const SERIES_SHEET: &str = "_series";

/// Each sheet the contents list with a CSV beside it, in their order:
/// its name and that CSV's path in the edition (`data/completion_rate.csv`,
/// `data/series/completion_rate.csv`).
pub fn sheet_files(book: &mut Ods<std::io::BufReader<std::fs::File>>) -> Vec<(String, String)> {
    let Ok(contents) = book.worksheet_range("Contents") else {
        return Vec::new();
    };
    contents
        .rows()
        .map(|row| {
            (
                cell_text(&row[0]),
                row.get(3).map(cell_text).unwrap_or_default(),
            )
        })
        .filter(|(_, file)| file.starts_with("data/"))
        .collect()
}

/// The id of the table a CSV path holds, for a period table's CSV.
pub fn period_table(file: &str) -> Option<&str> {
    file.strip_prefix("data/")?
        .strip_suffix(".csv")
        .filter(|id| !id.contains('/'))
}

/// `tables.ods`: every table sheet against its CSV (each of `csvs` must
/// have one), and every series sheet against its `data/series/` CSV, each
/// found through the contents.
pub fn spreadsheet_problems(output: &Path, csvs: &BTreeMap<String, CsvTable>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut book: Ods<_> = match open_workbook(output.join("tables.ods")) {
        Ok(book) => book,
        Err(e) => return vec![format!("tables.ods does not open: {e}")],
    };
    let files = sheet_files(&mut book);
    for name in book.sheet_names() {
        if !FRONT_SHEETS.contains(&name.as_str()) && !files.iter().any(|(n, _)| *n == name) {
            problems.push(format!("tables.ods {name}: a sheet no CSV stands behind"));
        }
    }
    for (name, file) in &files {
        let csv = match period_table(file) {
            Some(id) => match csvs.get(id) {
                Some(csv) => csv,
                None => {
                    problems.push(format!("tables.ods {name}: no CSV {file}"));
                    continue;
                }
            },
            None => {
                let path = output.join(file);
                if !path.is_file() {
                    problems.push(format!("tables.ods {name}: no {}", path.display()));
                    continue;
                }
                &read_csv(&path)
            }
        };
        match book.worksheet_range(name) {
            Ok(sheet) => problems.extend(sheet_problems(name, &sheet, csv)),
            Err(e) => problems.push(format!("tables.ods {name}: {e}")),
        }
    }
    for id in csvs.keys() {
        if !files.iter().any(|(_, file)| period_table(file) == Some(id)) {
            problems.push(format!("tables.ods has no sheet for data/{id}.csv"));
        }
    }
    problems
}

/// The header row: the first whose cells end in a "(number)" heading.
pub fn header_row(rows: &[&[Data]]) -> Option<usize> {
    rows.iter()
        .position(|r| r.iter().any(|c| cell_text(c).ends_with("(number)")))
}

/// One sheet against its CSV: the same rows, and the same counts.
fn sheet_problems(name: &str, sheet: &calamine::Range<Data>, csv: &CsvTable) -> Vec<String> {
    let mut problems = Vec::new();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let Some(header) = header_row(&rows) else {
        return vec![format!("tables.ods {name}: no header row")];
    };
    let count_columns: Vec<usize> = rows[header]
        .iter()
        .enumerate()
        .filter(|(_, c)| cell_text(c).ends_with("(number)"))
        .map(|(i, _)| i)
        .collect();
    let body = &rows[header + 1..];
    if body.len() != csv.rows.len() {
        problems.push(format!(
            "tables.ods {name}: {} rows, CSV {}",
            body.len(),
            csv.rows.len()
        ));
    }
    for row in body {
        let groups: Vec<String> = row[..csv.dimensions.len()].iter().map(cell_text).collect();
        let counts: Vec<String> = count_columns
            .iter()
            .map(|&c| match &row[c] {
                Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
                other => cell_text(other),
            })
            .collect();
        compare_row(name, csv, &groups, &counts, &mut problems);
    }
    problems
}

/// HTML text as read: its entities replaced.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// The text of each `<th>`/`<td>` in `row`.
fn cells(row: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = row;
    while let Some(start) = rest.find(['<']) {
        let tag = &rest[start..];
        let is_cell = tag.starts_with("<td") || tag.starts_with("<th");
        let Some(open_end) = tag.find('>') else { break };
        if is_cell {
            let content = &tag[open_end + 1..];
            let close = content.find("</t").unwrap_or(content.len());
            found.push(unescape(&content[..close]));
            rest = &content[close..];
        } else {
            rest = &tag[open_end + 1..];
        }
    }
    found
}

/// An HTML page: every `<table data-table="…">` against its CSV.
pub fn html_problems(html: &str, csvs: &BTreeMap<String, CsvTable>) -> Vec<String> {
    let mut problems = Vec::new();
    for table in html.split("<table ").skip(1) {
        let Some(id) = table
            .split("data-table=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
        else {
            continue;
        };
        let id = unescape(id);
        let Some(csv) = csvs.get(&id) else {
            problems.push(format!("a table shows `{id}`, which has no CSV"));
            continue;
        };
        let table = table.split("</table>").next().unwrap_or_default();
        let mut rows = table.split("<tr>").skip(1);
        let Some(header) = rows.next() else { continue };
        let count_columns: Vec<usize> = cells(header)
            .iter()
            .enumerate()
            .filter(|(_, h)| h.ends_with("(number)"))
            .map(|(i, _)| i)
            .collect();
        for row in rows {
            let row = cells(row);
            let groups = row[..csv.dimensions.len()].to_vec();
            let counts: Vec<String> = count_columns.iter().map(|&c| row[c].clone()).collect();
            compare_row(&id, csv, &groups, &counts, &mut problems);
        }
    }
    problems
}
