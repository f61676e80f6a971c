//! The publication as a reader gets it: the PDF is tagged with its title
//! and sections, the spreadsheet opens in an independent reader with its
//! cover, contents and notes and the same figures as the CSVs, the HTML is
//! self-contained and passes axe-core, and a template that fails leaves
//! the previous edition as it was.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::readers;
use crate::support::{Tool, repo, require};
use calamine::{Data, Ods, Reader, open_workbook};
use dtto::config::Config;
use dtto::run::{RunError, RunOptions, run};
use dtto_model::contract::{ExtractFile, Kind};
use dtto_model::format::thousands;
use dtto_model::period::Period;
use dtto_render::RenderError;

fn options(work: &Path, templates: PathBuf) -> RunOptions {
    RunOptions {
        extract: repo().join("fixtures/measures"),
        warehouse: work.join("warehouse"),
        queries: repo().join("queries"),
        requests: repo().join("requests"),
        templates,
        output: work.join("output"),
        period: Some("2003Q4".parse::<Period>().unwrap()),
        previous: None,
        // Threshold 2: the hand-made delivery is small, and most of its
        // figures should be shown.
        config: Config {
            disclosure: dtto::config::DisclosureConfig {
                threshold: 2,
                ..Default::default()
            },
            ..Config::default()
        },
    }
}

fn publish(work: &Path) -> PathBuf {
    let options = options(work, repo().join("templates"));
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(&options))
        .unwrap()
        .output
}

fn tool(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(output.status.success(), "{program} {args:?} failed");
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn the_pdf_is_tagged_with_its_title_and_sections() {
    if !require(&[Tool::Poppler]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let output = publish(work.path());
    let pdf = output.join("public/bulletin.pdf");
    let pdf = pdf.to_str().unwrap();
    let info = tool("pdfinfo", &[pdf]);
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(
        info.contains(
            "Title:           Drug Treatment and Testing Order statistics: \
             the year ending December 2003"
        ),
        "{info}"
    );
    // The period's end, not the time of the run.
    assert!(info.contains("CreationDate:    Wed Dec 31"), "{info}");
    let text = tool("pdftotext", &["-layout", pdf, "-"]);
    for section in [
        "Key points",
        "Completion",
        "Proven reconviction",
        "Methodology and definitions",
        "Confidentiality and shorthand",
        "Figure 1:",
        "Table 1:",
    ] {
        assert!(text.contains(section), "no `{section}` in the PDF");
    }
    let fonts = tool("pdffonts", &[pdf]);
    assert!(fonts.contains("LiberationSans"), "{fonts}");
    assert!(
        !fonts.lines().skip(2).any(|l| l.contains(" no  ")),
        "{fonts}"
    );
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_spreadsheet_reads_back_with_cover_contents_notes_and_the_csv_figures() {
    let work = tempfile::tempdir().unwrap();
    let output = publish(work.path());
    let public = output.join("public");
    let mut book: Ods<_> = open_workbook(public.join("tables.ods")).unwrap();
    let names = book.sheet_names();
    assert_eq!(&names[..3], readers::FRONT_SHEETS);
    // The contents list every sheet after the notes, in order, each with
    // the CSV of its figures: one sheet per table, numbered in order, a
    // series after its table.
    let files = readers::sheet_files(&mut book);
    let listed: Vec<&String> = files.iter().map(|(name, _)| name).collect();
    assert_eq!(names[3..].iter().collect::<Vec<_>>(), listed);
    let csvs: Vec<String> = readers::read_csvs(&public).into_keys().collect();
    let mut tables: Vec<String> = files
        .iter()
        .filter_map(|(_, file)| readers::period_table(file).map(String::from))
        .collect();
    tables.sort();
    assert_eq!(tables, csvs, "one sheet per table");
    let mut number = 0;
    for (name, file) in &files {
        if readers::period_table(file).is_some() {
            number += 1;
            assert_eq!(*name, format!("Table_{number}"), "{file}");
        } else {
            assert_eq!(*name, format!("Table_{number}_series"), "{file}");
        }
    }
    series_sheets(&public);
    spreadsheet_follows_the_checklist(&public, "the year ending December 2003", "2003-12-31");
    every_numeric_csv_column_holds_numbers(&public);

    let cover = book.worksheet_range("Cover").unwrap();
    // A draft: the title comes after the DRAFT line.
    assert!(text(cover.get((1, 0)).unwrap()).contains("tables, the year ending December 2003"));
    let notes = book.worksheet_range("Notes").unwrap();
    let shorthand: Vec<String> = notes.rows().skip(3).map(|r| text(&r[0])).collect();
    for mark in ["[c]", "[u]", "[x]", "[z]"] {
        assert!(
            shorthand.contains(&mark.to_string()),
            "{mark} is not explained"
        );
    }

    // Each table: the same rows and counts as its CSV, numbers stored as
    // numbers and `[c]` only where the CSV withholds.
    let problems = readers::spreadsheet_problems(
        &output.join("public"),
        &readers::read_csvs(&output.join("public")),
    );
    assert!(problems.is_empty(), "{problems:#?}");

    // By hand (tests/measures.rs): 2 of the 6 Orders ended in 2003 were
    // completed. At threshold 2 the series' neighbouring quarters would
    // narrow the hand-made delivery's few terminations a quarter down to
    // ones, so the rate, its interval and both counts are withheld, as
    // their cells say.
    let completion = book
        .worksheet_range(&sheet_of(&public, "data/completion_rate.csv"))
        .unwrap();
    let national = completion
        .rows()
        .find(|r| text(&r[0]) == "National")
        .unwrap();
    for cell in &national[2..7] {
        assert_eq!(text(cell), "[c]");
    }
}

/// The sheet the contents give for the CSV `file` (`data/retention.csv`).
fn sheet_of(public: &Path, file: &str) -> String {
    let mut book: Ods<_> = open_workbook(public.join("tables.ods")).unwrap();
    readers::sheet_files(&mut book)
        .into_iter()
        .find(|(_, f)| f == file)
        .unwrap_or_else(|| panic!("no sheet for {file} in the contents"))
        .0
}

/// One file of the spreadsheet's archive, as text.
fn ods_part(public: &Path, part: &str) -> String {
    use std::io::Read;
    let file = std::fs::File::open(public.join("tables.ods")).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut text = String::new();
    archive
        .by_name(part)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// Each element's text in `xml`, by its name as written, namespaces
/// resolved: an element whose prefix is not declared fails the read.
fn element_texts(xml: &str) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::NsReader::from_str(xml);
    let mut open = Vec::new();
    let mut found = Vec::new();
    loop {
        match reader.read_resolved_event().unwrap() {
            (ns, Event::Start(e)) => {
                assert!(
                    !matches!(ns, quick_xml::name::ResolveResult::Unknown(_)),
                    "an undeclared prefix: {e:?}"
                );
                open.push(String::from_utf8_lossy(e.name().as_ref()).to_string());
            }
            (_, Event::Text(t)) => {
                if let Some(name) = open.last() {
                    found.push((name.clone(), t.decode().unwrap().to_string()));
                }
            }
            (_, Event::End(_)) => {
                open.pop();
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    found
}

/// The Analysis Function's checklist, read from the file: document
/// properties, each sheet's title in A1 and in the contents, linked from
/// them, numbers formatted, `[x]` only for a missing target, the national
/// row first.
fn spreadsheet_follows_the_checklist(public: &Path, year_ending: &str, date: &str) {
    let meta = element_texts(&ods_part(public, "meta.xml"));
    let property = |name: &str| {
        meta.iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| text.clone())
            .unwrap_or_else(|| panic!("no {name} in meta.xml: {meta:?}"))
    };
    assert_eq!(
        property("dc:title"),
        format!("DRAFT: Drug Treatment and Testing Order statistics: tables, {year_ending}")
    );
    assert_eq!(property("dc:language"), "en-GB");
    assert_eq!(property("dc:date"), format!("{date}T00:00:00"));
    assert!(property("dc:subject").contains("Drug Treatment and Testing Order"));
    assert!(
        property("dc:creator").starts_with("Draft"),
        "a draft has no producer"
    );
    assert!(property("meta:keyword").contains("reconviction"));

    // Each sheet's title is in its A1 and in the contents, whose sheet
    // names link to the sheets.
    let mut book: Ods<_> = open_workbook(public.join("tables.ods")).unwrap();
    let contents = book.worksheet_range("Contents").unwrap();
    let content = ods_part(public, "content.xml");
    let listed: Vec<(String, String)> = contents
        .rows()
        .skip(3)
        .map(|r| (text(&r[0]), text(&r[1])))
        .collect();
    assert_eq!(listed[0].0, "Notes");
    for (name, title) in &listed {
        let sheet = book.worksheet_range(name).unwrap();
        assert_eq!(&text(sheet.get((0, 0)).unwrap()), title, "{name}");
        assert!(
            content.contains(&format!(
                "<text:a xlink:href=\"#{name}.A1\">{name}</text:a>"
            )),
            "{name} is not linked from the contents"
        );
    }

    // Counts with thousands separators and no decimals, percentages and
    // means with one and two places.
    // The number formats are common styles, the cell styles automatic.
    let styles = ods_part(public, "styles.xml") + &content;
    for (style, places) in [
        ("count", 0),
        ("one_decimal_place", 1),
        ("two_decimal_places", 2),
    ] {
        let declared = format!(
            "<style:style style:data-style-name=\"{style}_format\" style:family=\"table-cell\" \
             style:name=\"{style}\"/>"
        );
        assert!(styles.contains(&declared), "no cell style {style}");
        let format = format!(
            "<number:number-style style:name=\"{style}_format\"><number:number \
             number:decimal-places=\"{places}\" number:grouping=\"true\" \
             number:min-decimal-places=\"{places}\""
        );
        assert!(styles.contains(&format), "{style} is not {places} places");
    }
    let numbers: Vec<&str> = content
        .split("<table:table-cell ")
        .skip(1)
        .filter(|cell| cell.contains("office:value-type=\"float\""))
        .collect();
    assert!(!numbers.is_empty());
    for cell in &numbers {
        let value: f64 = cell
            .split("office:value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        let styled = |style: &str| cell.contains(&format!("table:style-name=\"{style}\""));
        assert!(
            (styled("count") && value.fract() == 0.0)
                || styled("one_decimal_place")
                || styled("two_decimal_places"),
            "a number without its format: {cell:.80}"
        );
    }
    assert!(numbers.iter().any(|c| c.contains("\"one_decimal_place\"")));

    // The national row first: of the sheet, or of each quarter.
    for (name, _) in listed.iter().skip(1) {
        let sheet = book.worksheet_range(name).unwrap();
        let rows: Vec<&[Data]> = sheet.rows().collect();
        let header = readers::header_row(&rows).unwrap();
        let headings: Vec<String> = rows[header].iter().map(text).collect();
        // `[x]` only where there is no target; a change not shown is `[c]`
        // or `[z]`, never "not available".
        for row in &rows[header + 1..] {
            for (heading, cell) in headings.iter().zip(row.iter()) {
                if text(cell) == "[x]" {
                    assert!(heading.starts_with("Target"), "{name}: [x] in {heading}");
                }
            }
        }
        let Some(breakdown) = headings.iter().position(|h| h == "Breakdown") else {
            continue;
        };
        let quarter = headings.iter().position(|h| h == "Quarter");
        let block = |row: &[Data]| quarter.map(|q| text(&row[q]));
        let body = &rows[header + 1..];
        let national: Vec<Option<String>> = body
            .iter()
            .filter(|row| text(&row[breakdown]) == "National")
            .map(|row| block(row))
            .collect();
        let mut seen = Vec::new();
        for row in body {
            let block = block(row);
            if national.contains(&block) && !seen.contains(&block) {
                assert_eq!(text(&row[breakdown]), "National", "{name} {block:?}");
                seen.push(block);
            }
        }
    }
}

/// Every CSV's numeric columns hold numbers or nothing: shorthand goes in
/// a status column.
fn every_numeric_csv_column_holds_numbers(public: &Path) {
    const NUMERIC: [&str; 9] = [
        "target",
        "count",
        "numerator",
        "denominator",
        "total",
        "rate",
        "ci_lower",
        "ci_upper",
        "mean",
    ];
    let series = std::fs::read_dir(public.join("data/series")).unwrap();
    let files = std::fs::read_dir(public.join("data"))
        .unwrap()
        .chain(series)
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file());
    let mut checked = 0;
    for path in files {
        let mut reader = crate::support::csv_reader(&path);
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        for record in reader.records() {
            let record = record.unwrap();
            for (name, cell) in header.iter().zip(record.iter()) {
                if NUMERIC.contains(&name.as_str()) && !cell.is_empty() {
                    assert!(
                        cell.parse::<f64>().is_ok(),
                        "{}: `{cell}` in {name}",
                        path.display()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0);
}

/// The tables whose metadata says `headline = true`.
const HEADLINE: [&str; 5] = [
    "commencements",
    "completion_rate",
    "retention",
    "reconviction_1y",
    "reconviction_2y",
];

/// What [`series_sheets`] found: the sheets it read, and how many of their
/// figures it compared with the CSVs.
struct SeriesSheets {
    sheets: Vec<String>,
    figures: usize,
}

/// Each headline table with a series has a sheet of it, named in the
/// contents and placed after its table's, with one header row and no
/// change columns; its national rows of the first and last quarter show
/// exactly the counts of `data/series/<id>.csv` (written by another path,
/// the CSV writer) and each rate as numerator over denominator.
fn series_sheets(public: &Path) -> SeriesSheets {
    let mut book: Ods<_> = open_workbook(public.join("tables.ods")).unwrap();
    let names = book.sheet_names();
    let files = readers::sheet_files(&mut book);
    let with_series: Vec<&str> = HEADLINE
        .into_iter()
        .filter(|id| public.join(format!("data/series/{id}.csv")).is_file())
        .collect();
    let sheets: Vec<String> = with_series
        .iter()
        .map(|id| sheet_of(public, &format!("data/series/{id}.csv")))
        .collect();
    let shown: Vec<&String> = names
        .iter()
        .filter(|name| name.ends_with(readers::SERIES_SHEET))
        .collect();
    assert_eq!(
        shown,
        sheets.iter().collect::<Vec<_>>(),
        "headline series only"
    );
    assert!(files.iter().all(|(name, file)| {
        name.ends_with(readers::SERIES_SHEET) == file.starts_with("data/series/")
    }));
    let mut figures = 0;
    for (id, name) in with_series.iter().zip(&sheets) {
        assert!(name.chars().count() <= 31, "{name}");
        let at = names.iter().position(|n| n == name).unwrap();
        assert_eq!(
            names[at - 1],
            sheet_of(public, &format!("data/{id}.csv")),
            "{name} follows its table"
        );
        let sheet = book.worksheet_range(name).unwrap();
        let rows: Vec<&[Data]> = sheet.rows().collect();
        assert!(
            text(&rows[0][0])
                .contains(" in the 12 months ending each quarter shown, in the editions for "),
            "{name}: {:?}",
            rows[0][0]
        );
        let header = readers::header_row(&rows).unwrap();
        let headings: Vec<String> = rows[header].iter().map(text).collect();
        assert_eq!(headings[..3], ["Quarter", "Breakdown", "Group"], "{name}");
        assert_eq!(headings.last().unwrap(), "Notes", "{name}");
        assert!(
            rows[..header]
                .iter()
                .all(|r| r[1..].iter().all(|c| *c == Data::Empty))
        );
        if *id == "completion_rate" {
            assert_eq!(
                headings,
                [
                    "Quarter",
                    "Breakdown",
                    "Group",
                    "Counts the 12 months ending",
                    "Rate (%)",
                    "95% interval, lower (%)",
                    "95% interval, upper (%)",
                    "Orders completed, or ended early for good progress (number)",
                    "Orders terminated (number)",
                    "Notes",
                ]
            );
        }
        figures += national_figures_match(
            name,
            &headings,
            &rows[header + 1..],
            &public.join(format!("data/series/{id}.csv")),
        );
    }
    SeriesSheets { sheets, figures }
}

/// The first and last quarters' national rows of a series sheet against
/// its CSV: each count exactly (`[c]` where the CSV leaves it empty), and
/// a shown rate as 100 × numerator / denominator to one decimal place.
/// How many figures were compared.
fn national_figures_match(name: &str, headings: &[String], body: &[&[Data]], csv: &Path) -> usize {
    let mut reader = crate::support::csv_reader(csv);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let national: Vec<&csv::StringRecord> = records
        .iter()
        .filter(|r| &r[1] == "National" && &r[2] == "All")
        .collect();
    let mut compared = 0;
    for record in [national.first().unwrap(), national.last().unwrap()] {
        let quarter = &record[0];
        let row = body
            .iter()
            .find(|r| text(&r[0]) == quarter && text(&r[1]) == "National" && text(&r[2]) == "All")
            .unwrap_or_else(|| panic!("{name}: no national row for {quarter}"));
        let counts = headings
            .iter()
            .enumerate()
            .filter(|(_, h)| h.ends_with("(number)"));
        let csv_counts = ["count", "numerator", "denominator"]
            .into_iter()
            .filter_map(|column| header.iter().position(|h| h == column));
        let mut shown = Vec::new();
        for ((at, heading), column) in counts.zip(csv_counts) {
            let expected = match &record[column] {
                "" => Data::String("[c]".to_string()),
                value => Data::Float(value.parse::<u64>().unwrap() as f64),
            };
            assert_eq!(row[at], expected, "{name} {quarter}: {heading}");
            shown.push(expected);
            compared += 1;
        }
        let rate_column = headings.iter().position(|h| h == "Rate (%)");
        if let (Some(at), [Data::Float(numerator), Data::Float(denominator)]) =
            (rate_column, &shown[..])
        {
            let rate = (1000.0 * numerator / denominator).round() / 10.0;
            assert_eq!(row[at], Data::Float(rate), "{name} {quarter}: the rate");
            compared += 1;
        }
    }
    compared
}

#[test]
fn the_html_is_one_self_contained_accessible_page() {
    if !require(&[Tool::AxeInChromium]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let output = publish(work.path());
    let html = std::fs::read_to_string(output.join("public/index.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en-GB\">"));
    assert!(html.contains("<a class=\"skip-link\" href=\"#main\">"));
    for outside in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(outside), "the page loads `{outside}`");
    }
    // Every chart is inline, named, and followed by its data.
    let charts = std::fs::read_dir(output.join("public/charts"))
        .unwrap()
        .count();
    assert!(charts >= 8, "{charts} charts");
    assert!(html.matches("<svg ").count() >= 8);
    assert!(
        html.matches("role=\"img\" aria-label=\"Bar chart of")
            .count()
            >= 8
    );
    assert_eq!(
        html.matches("<figure ").count(),
        html.matches("<caption id=\"figure-").count()
    );
    // The data tables show the CSVs' counts and withhold what they do.
    assert!(html.matches("data-table=").count() >= 15);
    let problems = readers::html_problems(&html, &readers::read_all_csvs(&output.join("public")));
    assert!(problems.is_empty(), "{problems:#?}");

    let check = repo().join("tests/a11y/check.sh");
    let result = Command::new("bash")
        .arg(&check)
        .arg(output.join("public/index.html"))
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&result.stdout).to_string()
        + &String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "axe-core on index.html:\n{report}");
    let result = Command::new("bash")
        .arg(&check)
        .arg(output.join("sign-off/qa.html"))
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "axe-core on qa.html:\n{}",
        String::from_utf8_lossy(&result.stdout)
    );
}

#[test]
fn readers_get_words_where_the_extract_has_codes() {
    if !require(&[Tool::Poppler]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let output = publish(work.path());
    let public = output.join("public");
    let codes: Vec<&str> = ExtractFile::ALL
        .iter()
        .flat_map(|file| file.columns())
        .filter_map(|column| match column.kind {
            Kind::Code(codes) => Some(codes),
            _ => None,
        })
        .flatten()
        .copied()
        .collect();
    // No published group is a code.
    for (id, csv) in readers::read_csvs(&public) {
        for groups in csv.rows.keys() {
            for group in groups {
                assert!(!codes.contains(&group.as_str()), "{id}: {group}");
            }
        }
    }
    // Nor do the codes that are not also English words reach the
    // bulletin, its PDF or a chart.
    let html = std::fs::read_to_string(public.join("index.html")).unwrap();
    let pdf = tool(
        "pdftotext",
        &[public.join("bulletin.pdf").to_str().unwrap(), "-"],
    );
    let mut texts = vec![
        ("index.html".to_string(), html.clone()),
        ("bulletin.pdf".to_string(), pdf),
    ];
    for entry in std::fs::read_dir(public.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        texts.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    for code in codes.iter().filter(|code| code.contains('_')) {
        for (name, text) in &texts {
            assert!(!text.contains(code), "{name} has {code}");
        }
    }
    // The sentence on how Orders ended finds its reasons by their words
    // (tests/measures.rs): 6 ended in 2003; 1 completed and 1 ended early,
    // each withheld at threshold 2; 2 revoked for breach; none for a new
    // offence. The 6 and the 2 are withheld too: with the series they would
    // narrow a quarter's terminations to ones. The 0 is published: every
    // group's figure for a new offence is published as 0 as well, so it
    // shows nothing withheld to be 0.
    assert!(
        html.contains(
            "Of the [c] Orders that ended in the year ending December 2003, [c] were completed \
             and [c] ended early for good progress. Of the rest, [c] were revoked for breach of \
             their requirements and 0 for a new offence."
        ),
        "no sentence on how Orders ended: {}",
        html.split("Orders that ended in the year")
            .nth(1)
            .unwrap_or("none at all")
    );
    for reason in [
        "Completed",
        "Ended early for good progress",
        "Revoked for breach",
        "Died",
    ] {
        assert!(html.contains(&format!(">{reason}</th>")), "{reason}");
    }
}

/// The edition of `period` of the hand-made delivery at `threshold`: its
/// public folder, its bulletin's HTML, and the text of its PDF laid out as
/// on the page, each run of spaces and line breaks one space.
fn bulletin_of(work: &Path, period: &str, threshold: u64) -> (PathBuf, String, String) {
    let options = RunOptions {
        period: Some(period.parse::<Period>().unwrap()),
        previous: None,
        config: Config {
            disclosure: dtto::config::DisclosureConfig {
                threshold,
                ..Default::default()
            },
            ..Config::default()
        },
        ..options(work, repo().join("templates"))
    };
    let output = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(&options))
        .unwrap()
        .output;
    let public = output.join("public");
    let html = std::fs::read_to_string(public.join("index.html")).unwrap();
    let pdf = tool(
        "pdftotext",
        &[
            "-layout",
            public.join("bulletin.pdf").to_str().unwrap(),
            "-",
        ],
    );
    let pdf = pdf.split_whitespace().collect::<Vec<_>>().join(" ");
    (public, html, pdf)
}

#[test]
fn the_bulletin_says_how_many_orders_commenced_against_the_national_target() {
    if !require(&[Tool::Poppler]) {
        return;
    }
    // The hand-made delivery's Orders by financial year (tests/measures.rs):
    // 2 in 2000-01 and 7 in 2001-02, years without targets, and 12 in
    // 2002-03 against the national 6,000: 0.2% of it.
    let work = tempfile::tempdir().unwrap();
    let (public, html, pdf) = bulletin_of(work.path(), "2003Q4", 2);
    let sentence = "In 2002-03, the latest financial year to have ended, 12 Orders commenced in \
                    England and Wales against a national target of 6,000 (0.2% of the target).";
    assert!(html.contains(sentence), "no national target sentence");
    assert!(
        pdf.contains("against a national target of 6,000 (0.2% of the target)."),
        "no national target sentence in the PDF"
    );
    // Beside it the national figure of every year, [x] where no target.
    let table = html
        .split("data-table=\"commencements_against_target\"")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap();
    for (year, target, count) in [
        ("2000-01", "[x]", "2"),
        ("2001-02", "[x]", "7"),
        ("2002-03", "6,000", "12"),
    ] {
        let row = format!(
            "<tr><td>{year}</td><th scope=\"row\">All areas</th><td class=\"num\">{target}</td>\
             <td class=\"num\">{count}</td>"
        );
        assert!(table.contains(&row), "{row}");
    }
    assert_eq!(
        table.matches("<tr>").count(),
        1 + 3,
        "the header and a row a year"
    );
    for row in [
        "2000-01 All areas [x] 2",
        "2001-02 All areas [x] 7",
        "2002-03 All areas 6,000 12",
    ] {
        assert!(pdf.contains(row), "no `{row}` in the PDF");
    }
    // The spreadsheet says [x] too; the CSV leaves its numeric target
    // empty and says [x] in the target's status column.
    let csv =
        std::fs::read_to_string(public.join("data/commencements_against_target.csv")).unwrap();
    assert!(
        csv.contains("financial_year,area,target,target_status,count,status\n"),
        "{csv}"
    );
    assert!(csv.contains("\n2000-01,All areas,,[x],2,\n"), "{csv}");
    assert!(csv.contains("\n2001-02,Kent,,[x],7,\n"), "{csv}");
    assert!(csv.contains("\n2002-03,All areas,6000,,12,\n"), "{csv}");
    let mut book: Ods<_> = open_workbook(public.join("tables.ods")).unwrap();
    let sheet = book
        .worksheet_range(&sheet_of(&public, "data/commencements_against_target.csv"))
        .unwrap();
    let row = sheet
        .rows()
        .find(|r| text(&r[0]) == "2001-02" && text(&r[1]) == "All areas")
        .unwrap();
    assert_eq!(
        (text(&row[2]), row[3].clone()),
        ("[x]".to_string(), Data::Float(7.0))
    );

    // 2002Q1: the latest year ended is 2001-02, without a target.
    let work = tempfile::tempdir().unwrap();
    let (_, html, _) = bulletin_of(work.path(), "2002Q1", 2);
    assert!(
        html.contains(
            "In 2001-02, the latest financial year to have ended, 7 Orders commenced in \
             England and Wales; no national target is available for that year."
        ),
        "no sentence for a year without a target"
    );

    // 2001Q4 at threshold 5: 2000-01's 2 Orders are withheld, and so is
    // the sentence's number.
    let work = tempfile::tempdir().unwrap();
    let (_, html, _) = bulletin_of(work.path(), "2001Q4", 5);
    assert!(
        html.contains(
            "In 2000-01, the latest financial year to have ended, the number of Orders \
             commenced is withheld to protect confidentiality."
        ),
        "no sentence for a withheld figure"
    );
    assert!(!html.contains("2 Orders commenced"));
}

#[test]
fn a_template_that_fails_leaves_the_previous_edition() {
    let work = tempfile::tempdir().unwrap();
    let output = publish(work.path());
    let before = std::fs::read(output.join("public/index.html")).unwrap();

    let templates = work.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    for entry in std::fs::read_dir(repo().join("templates")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, templates.join(path.file_name().unwrap())).unwrap();
    }
    let words = templates.join("bulletin.md");
    let broken = std::fs::read_to_string(&words).unwrap()
        + "\n{{ rate(table=\"completion_rate\", breakdown=\"Shoe size\").percent }}\n";
    std::fs::write(&words, broken).unwrap();
    let error = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(&options(work.path(), templates)))
        .unwrap_err();
    assert!(
        matches!(error, RunError::Render(RenderError::Template { .. })),
        "{error}"
    );
    assert_eq!(error.exit().code(), 11);
    let message = error.to_string();
    assert!(message.contains("bulletin.md"), "{message}");
    assert!(message.contains("Shoe size"), "{message}");
    assert_eq!(
        std::fs::read(output.join("public/index.html")).unwrap(),
        before
    );
}

#[test]
fn the_bundled_extract_tells_its_story_for_2003q4() {
    if !require(&[Tool::Poppler]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let extract = work.path().join("extract");
    crate::support::bundled_extract(&extract);
    let options = RunOptions {
        extract: extract.clone(),
        period: Some("2003Q4".parse::<Period>().unwrap()),
        previous: None,
        config: Config::default(),
        ..options(work.path(), repo().join("templates"))
    };
    let output = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(&options))
        .unwrap()
        .output;

    // Independently, from the delivered orders: those ended in 2003, and
    // those of them completed or ended early for good progress.
    let mut reader = csv::Reader::from_path(extract.join("orders.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (ended_on, reason) = (column("termination_date"), column("termination_reason"));
    let (mut ended, mut completed) = (0u64, 0u64);
    for record in reader.records() {
        let record = record.unwrap();
        if record[ended_on].starts_with("2003-") {
            ended += 1;
            if ["completed", "early_good_progress"].contains(&&record[reason]) {
                completed += 1;
            }
        }
    }
    let rate = 100.0 * completed as f64 / ended as f64;
    assert!((25.0..32.0).contains(&rate), "about 28 %: {rate}");
    let percent = format!("{rate:.1}%");

    let html = std::fs::read_to_string(output.join("public/index.html")).unwrap();
    let pdf = tool(
        "pdftotext",
        &[output.join("public/bulletin.pdf").to_str().unwrap(), "-"],
    );
    let key_point = format!(
        "{} of the {} Orders that ended were completed or ended early for good progress",
        thousands(completed),
        thousands(ended)
    );
    assert!(html.contains(&key_point), "{key_point}");
    assert!(
        html.contains(&format!("to {percent}:")) || html.contains(&format!("was {percent},")),
        "{percent}"
    );
    assert!(pdf.replace('\n', " ").contains(&percent), "{percent}");
    // With its breakdowns by age, sex and ethnic group.
    let completion = html
        .split(": Completion rate by age band, sex and ethnic group")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap();
    for group in ["16-17", "40 and over", "Female", "Male", "White", "Mixed"] {
        assert!(completion.contains(&format!(">{group}</th>")), "{group}");
    }

    // The spreadsheet: a series sheet for each headline measure the
    // delivery has a series of by 2003Q4, with the series CSVs' figures.
    let public = output.join("public");
    let series = series_sheets(&public);
    for id in ["commencements", "completion_rate", "retention"] {
        let sheet = sheet_of(&public, &format!("data/series/{id}.csv"));
        assert!(series.sheets.contains(&sheet), "no series sheet of {id}");
    }
    spreadsheet_follows_the_checklist(&public, "the year ending December 2003", "2003-12-31");
    every_numeric_csv_column_holds_numbers(&public);
    assert!(series.figures >= 3 * 2 * 2, "{} figures", series.figures);
    let problems = readers::spreadsheet_problems(
        &output.join("public"),
        &readers::read_csvs(&output.join("public")),
    );
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The first cell of the spreadsheet's cover, the PDF's first line and its
/// date, and the bulletin's masthead.
fn first_words(output: &Path) -> (String, String, String, String) {
    let public = output.join("public");
    let mut book: Ods<_> = open_workbook(public.join("tables.ods")).unwrap();
    let cover = book.worksheet_range("Cover").unwrap();
    let first_cell = cover
        .get((0, 0))
        .map(ToString::to_string)
        .unwrap_or_default();
    let pdf = public.join("bulletin.pdf");
    let pdf = pdf.to_str().unwrap();
    let text = tool("pdftotext", &["-f", "1", "-l", "1", pdf, "-"]);
    let first_line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .to_string();
    let date = tool("pdfinfo", &[pdf])
        .lines()
        .find(|l| l.starts_with("CreationDate:"))
        .unwrap()
        .to_string();
    let html = std::fs::read_to_string(public.join("index.html")).unwrap();
    let masthead = html
        .split("<header class=\"masthead\">")
        .nth(1)
        .and_then(|rest| rest.split("</header>").next())
        .unwrap()
        .to_string();
    (first_cell, first_line, date, masthead)
}

#[test]
fn without_a_release_every_output_says_draft_first_and_with_one_when_and_who() {
    if !require(&[Tool::Poppler]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let draft = publish(work.path());
    let (cell, line, date, masthead) = first_words(&draft);
    assert_eq!(cell, "DRAFT: not released, not for publication.");
    assert_eq!(line, "DRAFT: not released, not for publication.");
    assert!(
        date.contains("Wed Dec 31"),
        "a draft is dated by its period: {date}"
    );
    assert!(
        masthead
            .trim_start()
            .starts_with("<p class=\"draft\"><strong>DRAFT</strong>"),
        "{masthead}"
    );
    assert_draft_marks(&draft, true);

    let released = tempfile::tempdir().unwrap();
    let release = Config::parse(
        "[disclosure]\nthreshold = 2\n[release]\npublished = 2004-02-26\nnext = 2004-05-27\n\
         producer = \"Home Office\"\ncontact = \"dtto@example.gov.uk\"\n\
         status = \"Official statistics in development\"\n",
    )
    .unwrap();
    let options = RunOptions {
        config: release,
        ..options(released.path(), repo().join("templates"))
    };
    let output = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(run(&options))
        .unwrap()
        .output;
    let (cell, line, date, masthead) = first_words(&output);
    assert_eq!(
        cell,
        "Drug Treatment and Testing Order statistics: tables, the year ending December 2003"
    );
    assert!(!line.contains("DRAFT"), "{line}");
    assert!(date.contains("Thu Feb 26"), "dated by the release: {date}");
    assert!(
        masthead.contains("Official statistics in development · Period 2003Q4"),
        "{masthead}"
    );
    let html = std::fs::read_to_string(output.join("public/index.html")).unwrap();
    assert!(
        html.contains(
            "Released 26 February 2004, 09:30 · Next release 27 May 2004 · Home Office · \
             Contact: dtto@example.gov.uk"
        ),
        "no release line"
    );
    assert!(!html.contains("DRAFT"));
    assert_draft_marks(&output, false);
}

/// The CSV files start with a line saying DRAFT, and the charts show it,
/// exactly when the edition is a draft.
fn assert_draft_marks(edition: &Path, draft: bool) {
    for file in ["data/completion_rate.csv", "revisions.csv"] {
        let text = std::fs::read_to_string(edition.join("public").join(file)).unwrap();
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(
            first == "# DRAFT: not released, not for publication",
            draft,
            "{file}: {first}"
        );
    }
    let charts: Vec<PathBuf> = std::fs::read_dir(edition.join("public/charts"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(!charts.is_empty());
    for chart in charts {
        let svg = std::fs::read_to_string(&chart).unwrap();
        assert_eq!(svg.contains(">DRAFT</text>"), draft, "{}", chart.display());
    }
}
