//! `tables.ods`: every published table as an accessible spreadsheet, after
//! the Analysis Function guidance "Releasing statistics in spreadsheets":
//! document properties, a cover sheet with the release, contents linking
//! every sheet, notes (the shorthand and each table's notes), then one
//! table per sheet (`Table_1`), each headline measure's series on a sheet
//! after its table's (`Table_1_series`). Each sheet has its title in A1, a
//! few lines about it, then one header row and the data, the national row
//! first: no merged cells, no colour, units in the headings, numbers
//! stored as numbers with a format (thousands separators, percentages to
//! one decimal place) and shorthand only where a figure is not given.

use spreadsheet_ods::format::create_number_format_fixed;
use spreadsheet_ods::style::{CellStyle, CellStyleRef};
use spreadsheet_ods::text::{TextA, TextP};
use spreadsheet_ods::{Length, Sheet, WorkBook};
use zip::DateTime;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::RenderError;
use super::bulletin::EditionDetails;
use super::canonical_xml::{XmlError, canonical};
use super::display::{Cell, Detail, lay_out};
use dtto_model::format::lower_first;
use dtto_model::period::{COUNTED_ENDING, Period};
use dtto_model::table::Shorthand;
use dtto_protect::disclosure::ProtectedTable;
use dtto_storage::layout::{series_csv_name, table_csv_name};

/// How a series sheet's name ends: `Table_1_series` is Table 1's series.
const SERIES_SHEET_SUFFIX: &str = "_series";
/// The language of every word the spreadsheet holds.
const LANGUAGE: &str = "en-GB";
/// What a search for the spreadsheet would look for.
const KEYWORDS: &str = "Drug Treatment and Testing Order, DTTO, drug misuse, probation, \
                        reconviction, official statistics";

/// The workbook of the period's `tables` and, for each headline table, its
/// quarterly `series` where it has one.
pub fn render(
    tables: &[ProtectedTable],
    series: &[ProtectedTable],
    edition: &EditionDetails,
    date: chrono::NaiveDate,
) -> Result<Vec<u8>, RenderError> {
    let sheets = data_sheets(tables, series);
    let notes = numbered_notes(tables);
    let mut book = WorkBook::new_empty();
    describe(&mut book, edition, date);
    let styles = NumberStyles::add_to(&mut book);
    book.push_sheet(cover(edition));
    book.push_sheet(contents(&sheets, edition));
    book.push_sheet(notes_sheet(&notes, &sheets));
    for content in &sheets {
        book.push_sheet(data_sheet(*content, edition, &notes, &styles));
    }
    let failed = |reason: String| RenderError::Assembly {
        file: "tables.ods",
        reason,
    };
    let written =
        spreadsheet_ods::write_ods_buf(&mut book, Vec::new()).map_err(|e| failed(e.to_string()))?;
    stamp(&written, date).map_err(|e| failed(e.to_string()))
}

/// What a sheet after the notes shows.
#[derive(Clone, Copy)]
enum Content<'a> {
    /// A table for the period, with its number: the first is 1.
    Table(&'a ProtectedTable, usize),
    /// A headline table's figures for every quarter the delivery covers,
    /// with its table's number.
    Series(&'a ProtectedTable, usize),
}

impl<'a> Content<'a> {
    fn table(self) -> &'a ProtectedTable {
        match self {
            Content::Table(table, _) | Content::Series(table, _) => table,
        }
    }

    /// `Table_3`, or its series' `Table_3_series`: short, without spaces
    /// (a link or formula names it unquoted), and numbered as the
    /// contents list them.
    fn sheet_name(self) -> String {
        match self {
            Content::Table(_, number) => format!("Table_{number}"),
            Content::Series(_, number) => format!("Table_{number}{SERIES_SHEET_SUFFIX}"),
        }
    }

    /// The CSV holding the same figures, in the edition's `public/`.
    fn data_file(self) -> String {
        let id = &self.table().metadata().id;
        match self {
            Content::Table(..) => table_csv_name(id),
            Content::Series(..) => series_csv_name(id),
        }
    }

    fn title(self, edition: &EditionDetails) -> String {
        let metadata = self.table().metadata();
        let title = &metadata.title;
        match self {
            Content::Table(..) => format!(
                "{title}, {}",
                lower_first(&metadata.cohort_in(edition.period))
            ),
            Content::Series(series, _) => {
                let counted = lower_first(&metadata.cohort_over_series());
                match quarters(series) {
                    Some((first, last)) => {
                        format!("{title}, {counted}, in the editions for {first} to {last}")
                    }
                    None => format!("{title}, {counted}"),
                }
            }
        }
    }

    /// What is counted, in full, for the edition's quarter; a series' row
    /// counts it for its own quarter.
    fn counted(self, edition: &EditionDetails) -> String {
        let metadata = self.table().metadata();
        match self {
            Content::Table(..) => metadata.counted_in(edition.period),
            Content::Series(..) => metadata.counted_over_series(),
        }
    }

    /// What a reader needs to know about the rows beyond the table's own
    /// words: in a series, each row's quarter is an edition's, and the
    /// months it counts are named beside it.
    fn rows_explained(self) -> Option<String> {
        let Content::Series(series, _) = self else {
            return None;
        };
        let (first, _) = quarters(series)?;
        let months = self
            .table()
            .metadata()
            .single_window()
            .map(|window| {
                format!(
                    " The column \"{COUNTED_ENDING}\" names the quarter whose 12 months the row \
                     counts (for {first}, {}).",
                    window.ending(first).year_ending_words()
                )
            })
            .unwrap_or_default();
        Some(format!(
            "Each row is the figure the edition for its quarter publishes, on the same \
             definitions.{months}"
        ))
    }

    fn detail(self) -> Detail {
        match self {
            Content::Table(..) => Detail::Full,
            Content::Series(..) => Detail::Series,
        }
    }
}

/// The first and last quarters of a series.
fn quarters(series: &ProtectedTable) -> Option<(Period, Period)> {
    let column = series.dimensions().quarter()?;
    let quarters: Vec<Period> = series
        .rows()
        .iter()
        .filter_map(|row| row.groups()[column].parse().ok())
        .collect();
    Some((*quarters.iter().min()?, *quarters.iter().max()?))
}

/// Each table in order, a headline table's series straight after it.
fn data_sheets<'a>(tables: &'a [ProtectedTable], series: &'a [ProtectedTable]) -> Vec<Content<'a>> {
    let series_of = |table: &ProtectedTable| {
        series
            .iter()
            .find(|s| s.metadata().id == table.metadata().id)
            .filter(|_| table.metadata().headline)
    };
    tables
        .iter()
        .zip(1..)
        .flat_map(|(table, number)| {
            std::iter::once(Content::Table(table, number))
                .chain(series_of(table).map(|series| Content::Series(series, number)))
        })
        .collect()
}

/// Lines of text down column A, from the first row.
fn lines(sheet: &mut Sheet, lines: &[String]) {
    for (row, line) in lines.iter().enumerate() {
        sheet.set_value(row as u32, 0, line.as_str());
    }
}

/// A header row at `row`: each heading with its column's width in cm.
fn header_row(sheet: &mut Sheet, row: u32, columns: &[(&str, f64)]) {
    for (column, (heading, width)) in columns.iter().enumerate() {
        sheet.set_value(row, column as u32, *heading);
        sheet.set_col_width(column as u32, Length::Cm(*width));
    }
}

fn cover(edition: &EditionDetails) -> Sheet {
    let mut sheet = Sheet::new("Cover");
    // A draft says so first, before anything could be taken for released.
    let mut text = Vec::new();
    if edition.release.is_none() {
        text.push("DRAFT: not released, not for publication.".to_string());
    }
    text.push(format!(
        "{}: tables, {}",
        edition.title, edition.year_ending
    ));
    text.push(edition.status.clone());
    match &edition.release {
        Some(release) => text.extend([
            format!("Release date: {}", release.published),
            format!(
                "Next release: {}",
                release.next.as_deref().unwrap_or("to be announced")
            ),
            format!("Producer: {}", release.producer),
            format!("Contact: {}", release.contact),
        ]),
        None => text.push(
            "Release date, next release, producer and contact: none yet, as this edition is a \
             draft; they are given when it is released."
                .to_string(),
        ),
    }
    text.extend([
        format!(
            "The tables behind the bulletin for the period {}: one table on each sheet.",
            edition.period
        ),
        format!(
            "A sheet whose name ends in \"{SERIES_SHEET_SUFFIX}\" gives a headline measure for the 12 months ending each quarter the data cover."
        ),
        format!("Source: {}", edition.source),
        "The Contents sheet lists the tables; the Notes sheet explains the shorthand in square brackets."
            .to_string(),
        "Rates are percentages. Intervals are 95% confidence intervals (Wilson score); changes are on the same 12 months a year earlier, with Newcombe's interval."
            .to_string(),
        format!(
            "Figures that could identify fewer than {} people are withheld and shown as {}.",
            edition.threshold,
            Shorthand::Confidential
        ),
        revisions_line(edition),
    ]);
    lines(&mut sheet, &text);
    sheet.set_col_width(0, Length::Cm(24.0));
    sheet
}

/// The cover's account of revisions since the previous edition.
fn revisions_line(edition: &EditionDetails) -> String {
    match &edition.revisions {
        None => "No earlier edition was found to compare with: no figure is marked as revised."
            .to_string(),
        Some(revised) => format!(
            "Compared with the previous edition, for {}, {} figures were revised (counts and rates; a rate's interval moves with it): their rows are marked {}, and revisions.csv lists each with its previous and new value.",
            revised.previous_year_ending,
            revised.figures_changed,
            Shorthand::Revised
        ),
    }
}

/// Every sheet after it, each name a link to the sheet, with its title,
/// what it counts and the CSV holding the same figures.
fn contents(sheets: &[Content], edition: &EditionDetails) -> Sheet {
    let mut sheet = Sheet::new("Contents");
    lines(
        &mut sheet,
        &[
            "Contents".to_string(),
            "This sheet lists the notes and the tables, one to a sheet: select a sheet name to go to it."
                .to_string(),
        ],
    );
    let header = 2;
    header_row(
        &mut sheet,
        header,
        &[
            ("Sheet name", 4.0),
            ("Sheet title", 12.0),
            ("What is counted", 14.0),
            ("Same figures as CSV", 8.0),
        ],
    );
    let notes = header + 1;
    sheet.set_value(notes, 0, link_to("Notes"));
    sheet.set_value(notes, 1, "Notes");
    sheet.set_value(
        notes,
        2,
        "The shorthand used in the tables, and notes on particular tables",
    );
    for (content, row) in sheets.iter().zip(notes + 1..) {
        sheet.set_value(row, 0, link_to(&content.sheet_name()));
        sheet.set_value(row, 1, content.title(edition));
        sheet.set_value(row, 2, content.counted(edition));
        sheet.set_value(row, 3, content.data_file());
    }
    sheet
}

/// A sheet's name as a link to its first cell.
fn link_to(sheet: &str) -> spreadsheet_ods::text::TextTag {
    TextP::new()
        .tag(TextA::new().href(format!("#{sheet}.A1")).text(sheet))
        .into_xmltag()
}

/// The document properties a catalogue or a screen reader reads: title,
/// subject, creator, language, date and keywords. A draft says so in its
/// title, and has no producer yet.
fn describe(book: &mut WorkBook, edition: &EditionDetails, date: chrono::NaiveDate) {
    let meta = book.metadata_mut();
    let title = format!("{}: tables, {}", edition.title, edition.year_ending);
    meta.title = match edition.release {
        Some(_) => title,
        None => format!("DRAFT: {title}"),
    };
    meta.subject = format!(
        "{}: {} tables for the period {}",
        edition.title, edition.status, edition.period
    );
    meta.creator = match &edition.release {
        Some(release) => release.producer.clone(),
        None => "Draft: no producer until released".to_string(),
    };
    meta.language = LANGUAGE.to_string();
    meta.date = date.and_hms_opt(0, 0, 0);
    meta.keyword = KEYWORDS.to_string();
}

/// The cell styles that give each number its format: thousands
/// separators, and as many decimal places as the bulletin prints.
struct NumberStyles {
    count: CellStyleRef,
    one_place: CellStyleRef,
    two_places: CellStyleRef,
}

impl NumberStyles {
    fn add_to(book: &mut WorkBook) -> NumberStyles {
        let mut style = |name: &str, places: u8| {
            let format = book.add_number_format(create_number_format_fixed(
                format!("{name}_format"),
                places,
                true,
            ));
            book.add_cellstyle(CellStyle::new(name, &format))
        };
        NumberStyles {
            count: style("count", 0),
            one_place: style("one_decimal_place", 1),
            two_places: style("two_decimal_places", 2),
        }
    }

    fn for_places(&self, places: u8) -> &CellStyleRef {
        match places {
            0 => &self.count,
            1 => &self.one_place,
            _ => &self.two_places,
        }
    }
}

fn notes_sheet(notes: &[(&ProtectedTable, &str)], sheets: &[Content]) -> Sheet {
    let mut sheet = Sheet::new("Notes");
    lines(
        &mut sheet,
        &[
            "Notes".to_string(),
            "The shorthand used in the tables, and notes on particular tables.".to_string(),
        ],
    );
    let header = 2;
    header_row(
        &mut sheet,
        header,
        &[("Note", 3.0), ("Applies to", 6.0), ("Meaning", 20.0)],
    );
    let mut row = header + 1;
    for shorthand in Shorthand::ALL {
        sheet.set_value(row, 0, shorthand.mark());
        sheet.set_value(row, 1, "All tables");
        sheet.set_value(row, 2, shorthand.meaning());
        row += 1;
    }
    for (number, (table, note)) in notes.iter().enumerate() {
        sheet.set_value(row, 0, format!("[note {}]", number + 1));
        sheet.set_value(row, 1, sheets_of(table, sheets).join(", "));
        sheet.set_value(row, 2, *note);
        row += 1;
    }
    sheet
}

/// The names of the sheets showing `table`: its own, and its series'.
fn sheets_of(table: &ProtectedTable, sheets: &[Content]) -> Vec<String> {
    sheets
        .iter()
        .filter(|content| content.table().metadata().id == table.metadata().id)
        .map(|content| content.sheet_name())
        .collect()
}

/// Every table's notes, in table order: `[note 1]` is the first.
fn numbered_notes(tables: &[ProtectedTable]) -> Vec<(&ProtectedTable, &str)> {
    tables
        .iter()
        .flat_map(|table| {
            table
                .metadata()
                .notes
                .iter()
                .map(move |note| (table, note.as_str()))
        })
        .collect()
}

fn data_sheet(
    content: Content,
    edition: &EditionDetails,
    notes: &[(&ProtectedTable, &str)],
    styles: &NumberStyles,
) -> Sheet {
    let table = content.table();
    let metadata = table.metadata();
    let data = lay_out(table, content.detail(), |_| true);
    let mut sheet = Sheet::new(content.sheet_name());
    let mut about = vec![
        content.title(edition),
        format!("What is counted: {}.", content.counted(edition)),
    ];
    about.extend(content.rows_explained());
    about.extend([
        format!(
            "This table has {} rows; shorthand is explained on the Notes sheet.",
            data.rows.len()
        ),
        format!("Source: {}", edition.source),
    ]);
    about.extend(
        notes
            .iter()
            .enumerate()
            .filter(|(_, (of, _))| of.metadata().id == metadata.id)
            .map(|(number, (_, note))| format!("[note {}] {note}", number + 1)),
    );
    lines(&mut sheet, &about);
    let header = about.len() as u32;
    for (column, heading) in data.headings.iter().enumerate() {
        sheet.set_value(header, column as u32, heading.as_str());
        let width = if column < data.dimensions { 5.0 } else { 4.0 };
        sheet.set_col_width(column as u32, Length::Cm(width));
    }
    for (index, cells) in data.rows.iter().enumerate() {
        let row = header + 1 + index as u32;
        for (column, cell) in cells.iter().enumerate() {
            let column = column as u32;
            match cell {
                Cell::Number { value, places, .. } => {
                    sheet.set_styled_value(row, column, *value, styles.for_places(*places))
                }
                Cell::Text(text) => sheet.set_value(row, column, text.as_str()),
                Cell::Shorthand(shorthand) => sheet.set_value(row, column, shorthand.mark()),
                Cell::Empty => {}
            }
        }
    }
    sheet
}

/// The archive again with every entry dated `date` and its XML written in
/// one canonical order: the writer stamps entries with the time of
/// writing and emits styles in hash-map order, and the same inputs must
/// give the same bytes.
fn stamp(written: &[u8], date: chrono::NaiveDate) -> Result<Vec<u8>, StampError> {
    use chrono::Datelike;
    use std::io::{Read, Write};
    let when = DateTime::from_date_and_time(
        u16::try_from(date.year()).unwrap_or(1980),
        date.month() as u8,
        date.day() as u8,
        0,
        0,
        0,
    )
    .unwrap_or_default();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(written))?;
    let mut out = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .last_modified_time(when)
        .compression_method(zip::CompressionMethod::Deflated);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let name = entry.name().to_string();
        if entry.is_dir() {
            out.add_directory(name, options)?;
        } else if name.ends_with(".xml") {
            let mut xml = Vec::new();
            entry.read_to_end(&mut xml)?;
            if name == "meta.xml" {
                xml = with_dublin_core(&xml);
            }
            let xml = canonical(&xml).map_err(|source| StampError::Xml {
                entry: name.clone(),
                source,
            })?;
            out.start_file(name, options)?;
            out.write_all(&xml)?;
        } else {
            drop(entry);
            let entry = archive.by_index_raw(index)?;
            out.raw_copy_file_touch(entry, when, None)?;
        }
    }
    Ok(out.finish()?.into_inner())
}

/// Why the archive the writer made could not be written again, stamped.
#[derive(Debug, thiserror::Error)]
enum StampError {
    #[error(transparent)]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{entry}: {source}")]
    Xml { entry: String, source: XmlError },
}

/// The writer puts the title, subject, creator, date and language in
/// `dc:` elements without declaring that prefix, which leaves `meta.xml`
/// unreadable to a namespace-aware reader: declare it beside the others.
fn with_dublin_core(meta: &[u8]) -> Vec<u8> {
    const ROOT: &str = "<office:document-meta ";
    const DC: &str = "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" ";
    let text = String::from_utf8_lossy(meta);
    if text.contains("xmlns:dc=") {
        return meta.to_vec();
    }
    text.replacen(ROOT, &format!("{ROOT}{DC}"), 1).into_bytes()
}
