//! The contract's rules that relate several columns of a row, the as_at
//! date, or another file. Per-column rules are in `fields.rs`.

use rustc_hash::FxHashMap;

use super::fields::{Field, format_days, parse_date};
use super::violation::{Rule, Violation};
use dtto_model::contract::{ExtractFile, ORDER_TYPES};

/// A row's parsed fields, in contract column order, with the record they
/// came from.
pub(crate) struct Row<'a> {
    pub fields: &'a [Field],
    pub record: &'a csv::StringRecord,
    /// Contract column index to record field index; `None` for an
    /// optional column the file does not have.
    pub positions: &'a [Option<usize>],
}

impl Row<'_> {
    pub(crate) fn text(&self, column: usize) -> &str {
        self.positions[column]
            .and_then(|p| self.record.get(p))
            .unwrap_or("")
    }

    fn date(&self, column: usize) -> Option<i32> {
        match self.fields[column] {
            Field::Date(days) => Some(days),
            _ => None,
        }
    }

    fn is_null(&self, column: usize) -> bool {
        self.fields[column] == Field::Null
    }
}

/// A short, stable fingerprint of an identifier, so that uniqueness and
/// look-ups over tens of millions of ids cost 16 bytes each, not a String.
/// At 128 bits a false match is not a practical possibility.
pub(crate) type Fingerprint = (u64, u64);

pub(crate) fn fingerprint(id: &str) -> Fingerprint {
    let hash = xxhash_rust::xxh3::xxh3_128(id.as_bytes());
    ((hash >> 64) as u64, hash as u64)
}

/// What the drug tests need to know of every Order: its dates if it
/// loaded, its line if it was quarantined.
#[derive(Default)]
pub(crate) struct OrderIndex {
    loaded: FxHashMap<Fingerprint, OrderSpan>,
    quarantined: FxHashMap<Fingerprint, u64>,
    /// orders.csv stopped early: the Orders after the stop are not known,
    /// so a test whose Order is not found is not blamed for it.
    cut_short: bool,
}

impl OrderIndex {
    /// The Orders were not read to the end of their file.
    pub(crate) fn cut_short(&mut self) {
        self.cut_short = true;
    }
}

/// What the index holds of one Order id.
#[derive(Clone, Copy)]
pub(crate) enum OrderFound {
    Loaded(OrderSpan),
    /// Quarantined from this line of orders.csv.
    Quarantined(u64),
    Unknown,
    /// Not found, but orders.csv was not read to its end.
    NotRead,
}

impl OrderIndex {
    fn find(&self, id: &Fingerprint) -> OrderFound {
        if let Some(span) = self.loaded.get(id) {
            return OrderFound::Loaded(*span);
        }
        match self.quarantined.get(id) {
            Some(line) => OrderFound::Quarantined(*line),
            None if self.cut_short => OrderFound::NotRead,
            None => OrderFound::Unknown,
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) struct OrderSpan {
    commencement: i32,
    /// termination_date, or as_at while the Order is still running.
    end: i32,
}

/// The rules of one file, with its columns resolved once.
pub(crate) enum FileRules {
    Orders(OrderRules),
    Assessments {
        assessment_date: usize,
    },
    DrugTests {
        order_id: usize,
        test_date: usize,
    },
    Reconvictions {
        offence_date: usize,
        conviction_date: usize,
    },
    TreatmentEpisodes {
        start_date: usize,
    },
}

pub(crate) struct OrderRules {
    order_id: usize,
    order_type: usize,
    sentence_date: usize,
    commencement_date: usize,
    termination_date: usize,
    termination_reason: usize,
    low_intensity: Field,
    low_intensity_from: i32,
}

impl FileRules {
    pub(crate) fn for_file(file: ExtractFile) -> Self {
        let at = |name| file.column_index(name);
        match file {
            ExtractFile::Orders => FileRules::Orders(OrderRules {
                order_id: at("order_id"),
                order_type: at("order_type"),
                sentence_date: at("sentence_date"),
                commencement_date: at("commencement_date"),
                termination_date: at("termination_date"),
                termination_reason: at("termination_reason"),
                low_intensity: Field::Code(code_index(ORDER_TYPES, "low_intensity")),
                low_intensity_from: parse_date("2004-04-01").unwrap_or_default(),
            }),
            ExtractFile::Assessments => FileRules::Assessments {
                assessment_date: at("assessment_date"),
            },
            ExtractFile::DrugTests => FileRules::DrugTests {
                order_id: at("order_id"),
                test_date: at("test_date"),
            },
            ExtractFile::Reconvictions => FileRules::Reconvictions {
                offence_date: at("offence_date"),
                conviction_date: at("conviction_date"),
            },
            ExtractFile::TreatmentEpisodes => FileRules::TreatmentEpisodes {
                start_date: at("start_date"),
            },
        }
    }

    /// The Orders of drug tests' rows, looked up together before the rows
    /// are checked one by one; nothing for the other files. The index does
    /// not fit in cache: look-ups that do not wait on one another overlap
    /// their misses. On shuffled scale-10 drug tests they cost about 30 ns
    /// each this way, and about 100 ns looked up row by row.
    pub(crate) fn find_orders<'r>(
        &self,
        records: impl Iterator<Item = &'r csv::StringRecord>,
        positions: &[Option<usize>],
        orders: &OrderIndex,
        found: &mut Vec<OrderFound>,
    ) {
        found.clear();
        if let FileRules::DrugTests { order_id, .. } = self {
            let position = positions[*order_id];
            // Hashed first, so that the look-ups' loop is short enough for
            // many of them to be under way at once.
            let ids: Vec<Fingerprint> = records
                .map(|record| fingerprint(position.and_then(|p| record.get(p)).unwrap_or("")))
                .collect();
            found.extend(ids.iter().map(|id| orders.find(id)));
        }
    }

    /// Adds the row's cross-column and cross-file violations to `out`.
    /// `order`: the row's Order from [`FileRules::find_orders`], if it was
    /// looked up ahead; otherwise the Order is looked up in `orders`.
    pub(crate) fn check(
        &self,
        row: &Row,
        as_at: i32,
        orders: &OrderIndex,
        order: Option<OrderFound>,
        out: &mut Vec<Violation>,
    ) {
        let not_after_as_at = |column: usize, name: &'static str, out: &mut Vec<Violation>| {
            if let Some(day) = row.date(column).filter(|&d| d > as_at) {
                out.push(Violation::new(
                    name,
                    Rule::AfterAsAt,
                    format!(
                        "{} is after the extract's as_at date {}",
                        format_days(day),
                        format_days(as_at)
                    ),
                ));
            }
        };
        match self {
            FileRules::Orders(rules) => rules.check(row, out, not_after_as_at),
            FileRules::Assessments { assessment_date } => {
                not_after_as_at(*assessment_date, "assessment_date", out)
            }
            FileRules::DrugTests {
                order_id,
                test_date,
            } => {
                if !row.is_null(*order_id) {
                    let id = row.text(*order_id);
                    let order = order.unwrap_or_else(|| orders.find(&fingerprint(id)));
                    check_test_in_order(row, id, order, *test_date, out);
                }
            }
            FileRules::Reconvictions {
                offence_date,
                conviction_date,
            } => {
                if let (Some(offence), Some(conviction)) =
                    (row.date(*offence_date), row.date(*conviction_date))
                    && conviction < offence
                {
                    out.push(Violation::new(
                        "conviction_date",
                        Rule::ConvictionBeforeOffence,
                        format!(
                            "{} is before offence_date {}",
                            format_days(conviction),
                            format_days(offence)
                        ),
                    ));
                }
                not_after_as_at(*conviction_date, "conviction_date", out);
            }
            FileRules::TreatmentEpisodes { start_date } => {
                not_after_as_at(*start_date, "start_date", out)
            }
        }
    }

    /// Records an Order row's outcome so its drug tests can be checked.
    pub(crate) fn remember_order(
        &self,
        row: &Row,
        as_at: i32,
        loaded: bool,
        line: u64,
        index: &mut OrderIndex,
    ) {
        let FileRules::Orders(rules) = self else {
            return;
        };
        let id = fingerprint(row.text(rules.order_id));
        if loaded {
            let (Some(commencement), end) = (
                row.date(rules.commencement_date),
                row.date(rules.termination_date).unwrap_or(as_at),
            ) else {
                return;
            };
            index.quarantined.remove(&id);
            index.loaded.insert(id, OrderSpan { commencement, end });
        } else if !index.loaded.contains_key(&id) {
            index.quarantined.entry(id).or_insert(line);
        }
    }
}

impl OrderRules {
    fn check(
        &self,
        row: &Row,
        out: &mut Vec<Violation>,
        not_after_as_at: impl Fn(usize, &'static str, &mut Vec<Violation>),
    ) {
        let sentence = row.date(self.sentence_date);
        let commencement = row.date(self.commencement_date);
        let termination = row.date(self.termination_date);
        if let (Some(s), Some(c)) = (sentence, commencement)
            && s > c
        {
            out.push(Violation::new(
                "sentence_date",
                Rule::SentenceAfterCommencement,
                format!(
                    "{} is after commencement_date {}",
                    format_days(s),
                    format_days(c)
                ),
            ));
        }
        not_after_as_at(self.commencement_date, "commencement_date", out);
        if let (Some(t), Some(c)) = (termination, commencement)
            && t < c
        {
            out.push(Violation::new(
                "termination_date",
                Rule::TerminationBeforeCommencement,
                format!(
                    "{} is before commencement_date {}",
                    format_days(t),
                    format_days(c)
                ),
            ));
        }
        not_after_as_at(self.termination_date, "termination_date", out);
        // Only a well-formed date counts as present; a malformed one has
        // already been reported.
        let date_empty = row.is_null(self.termination_date);
        let reason_empty = row.is_null(self.termination_reason);
        if date_empty != reason_empty {
            let detail = if date_empty {
                "is given but termination_date is empty; both or neither"
            } else {
                "is empty but termination_date is given; both or neither"
            };
            out.push(Violation::new(
                "termination_reason",
                Rule::TerminationPair,
                detail,
            ));
        }
        if row.fields[self.order_type] == self.low_intensity
            && let Some(s) = sentence.filter(|&s| s < self.low_intensity_from)
        {
            out.push(Violation::new(
                "order_type",
                Rule::LowIntensityTooEarly,
                format!(
                    "a low-intensity Order sentenced on {}; they exist from 2004-04-01",
                    format_days(s)
                ),
            ));
        }
    }
}

fn check_test_in_order(
    row: &Row,
    id_text: &str,
    order: OrderFound,
    test_date: usize,
    out: &mut Vec<Violation>,
) {
    match order {
        OrderFound::Loaded(span) => {
            if let Some(day) = row.date(test_date)
                && !(span.commencement..=span.end).contains(&day)
            {
                out.push(Violation::new(
                    "test_date",
                    Rule::TestOutsideOrder,
                    format!(
                        "{} is outside Order {id_text:?}, which runs {} to {}",
                        format_days(day),
                        format_days(span.commencement),
                        format_days(span.end)
                    ),
                ));
            }
        }
        OrderFound::Quarantined(line) => out.push(Violation::new(
            "order_id",
            Rule::OrderQuarantined,
            format!(
                "Order {id_text:?} was quarantined (orders line {line}); fix it and resubmit both"
            ),
        )),
        OrderFound::NotRead => {}
        OrderFound::Unknown => out.push(Violation::new(
            "order_id",
            Rule::UnknownOrder,
            format!("Order {id_text:?} is not in orders"),
        )),
    }
}

fn code_index(codes: &[&str], code: &str) -> i16 {
    codes
        .iter()
        .position(|c| *c == code)
        .and_then(|i| i16::try_from(i).ok())
        .unwrap_or_else(|| panic!("{code} is not in the contract's codes"))
}
