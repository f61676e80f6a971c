//! Every figure labelled with the people it counts: for the bundled
//! population's editions of 2005Q2 and 2004Q3, each measure's window is
//! worked out here from the publication spec, and every caption, key point,
//! alt text and CSV label of that measure must name it. The key points must
//! cover every headline measure, with change words that agree with the
//! 95% interval of the published figures, computed here independently.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::support::csv_reader;
use dtto_model::format::thousands;

/// The windows of the spec's Periods and Measures: the reference year ends
/// with the period; retention and continuity of care one quarter earlier;
/// the reconviction cohorts 18 and 30 months before the period end.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Window {
    Year,
    OneQuarterBack,
    EighteenMonthsBack,
    ThirtyMonthsBack,
}

impl Window {
    fn months_back(self) -> u32 {
        match self {
            Window::Year => 0,
            Window::OneQuarterBack => 3,
            Window::EighteenMonthsBack => 18,
            Window::ThirtyMonthsBack => 30,
        }
    }

    /// The last month of the window for the period ending in `year`,
    /// `month`, by hand: `(2003, 12)`.
    fn ends(self, year: i32, month: u32) -> (i32, u32) {
        let index = year * 12 + month as i32 - 1 - self.months_back() as i32;
        (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
    }

    fn words(self, year: i32, month: u32) -> String {
        let (y, m) = self.ends(year, month);
        let name = NaiveDate::from_ymd_opt(y, m, 1)
            .unwrap()
            .format("%B")
            .to_string();
        format!("the year ending {name} {y}")
    }

    fn quarter(self, year: i32, month: u32) -> String {
        let (y, m) = self.ends(year, month);
        format!("{y}Q{}", m / 3)
    }
}

/// A measure's table, its title as captions start with it, its window, and
/// the words that pick out its key point.
struct Measure {
    id: &'static str,
    title: &'static str,
    window: Window,
    key_point: &'static str,
}

const MEASURES: [Measure; 8] = [
    Measure {
        id: "commencements",
        title: "Orders commenced",
        window: Window::Year,
        key_point: "Orders commenced in",
    },
    Measure {
        id: "completion_rate",
        title: "Completion rate",
        window: Window::Year,
        key_point: "The completion rate",
    },
    Measure {
        id: "retention",
        title: "Retention at 12 weeks",
        window: Window::OneQuarterBack,
        key_point: "Retention at 12 weeks",
    },
    Measure {
        id: "reconviction_1y",
        title: "Proven reconviction within one year",
        window: Window::EighteenMonthsBack,
        key_point: "reconvicted within one year",
    },
    Measure {
        id: "reconviction_2y",
        title: "Proven reconviction within two years",
        window: Window::ThirtyMonthsBack,
        key_point: "reconvicted within two years",
    },
    Measure {
        id: "drug_misuse_fell",
        title: "Orders whose share of positive tests fell",
        window: Window::Year,
        key_point: "positive tests fell",
    },
    Measure {
        id: "suitability",
        title: "Assessments finding the person suitable",
        window: Window::Year,
        key_point: "suitable for an Order",
    },
    Measure {
        id: "continuity_of_care",
        title: "Treatment started within 21 days of the Order ending",
        window: Window::OneQuarterBack,
        key_point: "treatment episode within 21 days",
    },
];

/// The text of each element `tag` in `html`, tags inside removed.
fn elements(html: &str, tag: &str) -> Vec<String> {
    html.split(&format!("<{tag}"))
        .skip(1)
        .filter_map(|rest| {
            let body = &rest[rest.find('>')? + 1..];
            let body = body.split(&format!("</{tag}>")).next()?;
            Some(plain(body))
        })
        .collect()
}

/// Text with its tags dropped and entities read.
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    crate::readers::unescape(&out)
}

/// Every `the year ending <Month> <year>` a text names.
fn years_named(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("the year ending ") {
        let words: Vec<&str> = text[at..].split_whitespace().take(5).collect();
        if words.len() == 5 {
            let year: String = words[4].chars().take(4).collect();
            found.push(format!("the year ending {} {year}", words[3]));
        }
    }
    found
}

/// The key points of the bulletin, each as plain text.
fn key_points(html: &str) -> Vec<String> {
    let section = html
        .split("id=\"key-points\"")
        .nth(1)
        .and_then(|rest| rest.split("</ul>").next())
        .expect("a key points section");
    elements(section, "li")
}

/// Each bar chart's and trend's alt text, by the chart's file name stem.
fn alt_texts(public: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(public.join("charts"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .map(|path| {
            let svg = std::fs::read_to_string(&path).unwrap();
            let label = svg
                .split("aria-label=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap()
                .to_string();
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            (stem, plain(&label))
        })
        .collect()
}

/// The public folder of `period`'s edition of the delivery in `extract`.
fn edition(work: &Path, extract: &Path, period: &str) -> std::path::PathBuf {
    crate::support::publish_default(extract, &work.join(period), period)
        .output
        .join("public")
}

/// The bundled population (`make run`'s: seed 1, scale 1), generated as at
/// 2005-06-30.
fn delivery(dir: &Path) {
    let as_at = NaiveDate::from_ymd_opt(2005, 6, 30).unwrap();
    crate::support::generated_extract_as_at(dir, 1, 1.0, as_at);
}

#[test]
fn every_caption_key_point_alt_text_and_csv_names_the_months_its_measure_counts() {
    let work = tempfile::tempdir().unwrap();
    let extract = work.path().join("extract");
    delivery(&extract);
    for (period, year, month) in [("2005Q2", 2005, 6), ("2004Q3", 2004, 9)] {
        let public = edition(work.path(), &extract, period);
        let html = std::fs::read_to_string(public.join("index.html")).unwrap();
        let captions: Vec<String> = elements(&html, "figcaption")
            .into_iter()
            .chain(elements(&html, "caption"))
            .collect();
        let points = key_points(&html);
        let alts = alt_texts(&public);
        // The alt-text checks below skip a measure without that chart:
        // counted, so that charts renamed or lost fail instead of passing.
        let (mut bars, mut trends) = (0, 0);
        for measure in &MEASURES {
            let months = measure.window.words(year, month);
            let id = measure.id;
            // Captions of the period's figures and tables name the window;
            // a series' name the quarters instead, and no single year.
            let of_measure: Vec<&String> = captions
                .iter()
                .filter(|c| {
                    c.contains(&format!("{}, ", measure.title))
                        || c.contains(&format!("{} by ", measure.title))
                })
                // The table of financial years counts over no rolling window.
                .filter(|c| !c.contains("financial year"))
                .collect();
            assert!(!of_measure.is_empty(), "{period} {id}: no caption");
            for caption in of_measure {
                if caption.contains("12 months ending each quarter shown") {
                    assert!(years_named(caption).is_empty(), "{period} {id}: {caption}");
                } else {
                    assert_eq!(
                        years_named(caption),
                        vec![months.clone()],
                        "{period} {id}: {caption}"
                    );
                }
            }
            // Its key point names its window, and no other 12 months.
            let point = points
                .iter()
                .find(|p| p.contains(measure.key_point))
                .unwrap_or_else(|| panic!("{period}: no key point for {id}: {points:#?}"));
            assert_eq!(
                years_named(point),
                vec![months.clone()],
                "{period} {id}: {point}"
            );
            // The bar chart's alt text names its window; the trend's last
            // point is the window of the period.
            if let Some(alt) = alts.get(id) {
                bars += 1;
                assert_eq!(
                    years_named(alt),
                    vec![months.clone()],
                    "{period} {id}: {alt}"
                );
            }
            if let Some(alt) = alts.get(&format!("{id}-series")) {
                trends += 1;
                assert!(alt.contains("12 months ending each quarter shown"), "{alt}");
                let named = years_named(alt);
                assert_eq!(named.get(1), Some(&months), "{period} {id}: {alt}");
            }
            // The CSVs say which quarter each row's 12 months end with.
            let ending = measure.window.quarter(year, month);
            let mut table = csv_reader(&public.join(format!("data/{id}.csv")));
            let column = table
                .headers()
                .unwrap()
                .iter()
                .position(|h| h == "window_ending")
                .unwrap_or_else(|| panic!("{id}: no window_ending"));
            for record in table.records() {
                assert_eq!(record.unwrap()[column], ending, "{period} {id}");
            }
            let series = public.join(format!("data/series/{id}.csv"));
            if !series.is_file() {
                continue;
            }
            let mut series = csv_reader(&series);
            let header = series.headers().unwrap().clone();
            let at = |name: &str| header.iter().position(|h| h == name).unwrap();
            let (quarter, window_ending) = (at("quarter"), at("window_ending"));
            for record in series.records() {
                let record = record.unwrap();
                let q = &record[quarter];
                let (y, m): (i32, u32) =
                    (q[..4].parse().unwrap(), q[5..].parse::<u32>().unwrap() * 3);
                assert_eq!(
                    record[window_ending],
                    measure.window.quarter(y, m),
                    "{id} {q}"
                );
            }
        }
        assert!(
            bars > 0 && trends > 0,
            "{period}: {bars} bar and {trends} trend alt texts checked"
        );
    }
}

/// Wilson's score interval at 95%, written from the formula.
fn wilson(x: u64, n: u64) -> (f64, f64) {
    let z = 1.959_963_984_540_054_f64;
    let (x, n) = (x as f64, n as f64);
    let p = x / n;
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    (centre - half, centre + half)
}

/// Whether p1 − p2 differs from 0 at 95% by Newcombe's hybrid score
/// interval, and its sign.
fn significant_change(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<bool> {
    let ((l1, u1), (l2, u2)) = (wilson(x1, n1), wilson(x2, n2));
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let d = p1 - p2;
    let lower = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let upper = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    if lower > 0.0 {
        Some(true)
    } else if upper < 0.0 {
        Some(false)
    } else {
        None
    }
}

fn percent(x: u64, n: u64) -> String {
    format!("{:.1}%", (1000.0 * x as f64 / n as f64).round() / 10.0)
}

/// The national row's first two counts (numerator and denominator, or the
/// count) of `quarter` in a series CSV, or of the period's CSV.
fn national(path: &Path, quarter: Option<&str>) -> Option<(u64, u64)> {
    let mut reader = csv_reader(path);
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name);
    for record in reader.records() {
        let record = record.unwrap();
        let national = record[at("breakdown").unwrap()] == *"National";
        let in_quarter = quarter.is_none_or(|q| record[at("quarter").unwrap()] == *q);
        if national && in_quarter {
            let figure = |name: &str| at(name).and_then(|i| record[i].parse().ok());
            return match (figure("numerator"), figure("denominator"), figure("count")) {
                (Some(x), Some(n), _) => Some((x, n)),
                (_, _, Some(count)) => Some((count, 0)),
                _ => None,
            };
        }
    }
    None
}

#[test]
fn the_key_points_cover_every_headline_measure_with_the_change_its_interval_shows() {
    let work = tempfile::tempdir().unwrap();
    let extract = work.path().join("extract");
    delivery(&extract);
    let public = edition(work.path(), &extract, "2005Q2");
    let html = std::fs::read_to_string(public.join("index.html")).unwrap();
    let points = key_points(&html);
    let mut changes = 0;
    for measure in &MEASURES {
        let point = points
            .iter()
            .find(|p| p.contains(measure.key_point))
            .unwrap_or_else(|| panic!("no key point for {}: {points:#?}", measure.id));
        let now = national(&public.join(format!("data/{}.csv", measure.id)), None)
            .unwrap_or_else(|| panic!("{}: national figure withheld", measure.id));
        if measure.id == "commencements" {
            assert!(point.contains(&thousands(now.0)), "{point}");
            continue;
        }
        let series = public.join(format!("data/series/{}.csv", measure.id));
        let Some(before) = national(&series, Some("2004Q2")) else {
            continue;
        };
        let (was, is) = (percent(before.0, before.1), percent(now.0, now.1));
        let expected = match significant_change(now.0, now.1, before.0, before.1) {
            Some(true) => format!("rose from {was} to {is}"),
            Some(false) => format!("fell from {was} to {is}"),
            None => format!("was {is}, not significantly different from {was} a year earlier"),
        };
        assert!(
            point.contains(&expected),
            "{}: `{expected}` in {point}",
            measure.id
        );
        changes += 1;
    }
    assert_eq!(changes, 7, "every headline rate with its change");
    // Rows as readers meet them: the national row first, then the
    // breakdowns as the metadata lists them, each one's groups in the
    // order of its reference list; financial years in time order.
    let rows = |file: &str, columns: &[&str]| -> Vec<String> {
        let mut reader = csv_reader(&public.join(file));
        let header = reader.headers().unwrap().clone();
        let at: Vec<usize> = columns
            .iter()
            .map(|c| header.iter().position(|h| h == *c).unwrap())
            .collect();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                at.iter()
                    .map(|&i| r[i].to_string())
                    .collect::<Vec<_>>()
                    .join(": ")
            })
            .collect()
    };
    let completion = rows("data/completion_rate.csv", &["breakdown", "group"]);
    assert_eq!(
        completion[..15],
        [
            "National: All",
            "Age band: 16-17",
            "Age band: 18-21",
            "Age band: 22-25",
            "Age band: 26-29",
            "Age band: 30-39",
            "Age band: 40 and over",
            "Age band: Not known",
            "Sex: Male",
            "Sex: Female",
            "Sex: Not known",
            "Ethnic group: White",
            "Ethnic group: Mixed",
            "Ethnic group: Asian or Asian British",
            "Ethnic group: Black or Black British",
        ]
    );
    let years = rows(
        "data/commencements_against_target.csv",
        &["financial_year", "area"],
    );
    let national: Vec<&String> = years.iter().filter(|y| y.ends_with("All areas")).collect();
    assert_eq!(
        national,
        [
            "2000-01: All areas",
            "2001-02: All areas",
            "2002-03: All areas",
            "2003-04: All areas",
            "2004-05: All areas"
        ]
    );
    assert!(
        html.contains("In 2004-05, the latest financial year to have ended,"),
        "the latest financial year"
    );
    // The largest significant differences between groups, each named.
    assert!(
        points
            .iter()
            .any(|p| p.starts_with("Completion differed most, significantly, by")),
        "{points:#?}"
    );
}
