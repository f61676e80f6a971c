//! The bulletin's words: `templates/bulletin.md`, a tera template written
//! in Markdown, rendered with the protected tables behind its helpers.
//! Every number in the words comes from a helper; a withheld figure comes
//! back as `[c]`, never as its value.
//!
//! Helpers (each takes `table=` and any dimension as a keyword; `breakdown`
//! defaults to `National` and `group` to `All`):
//! - `rate(...)`: `percent`, `lower`, `upper`, `numerator`, `denominator`,
//!   `shown`, `low_reliability`, and `change` (`sentence` such as "rose
//!   from 27.0% to 28.6%", `direction`, `verdict` ("a significant rise"),
//!   `points`, `previous`, `significant`, `available`) on a year earlier,
//!   and the same as `change_on_quarter` on the 12 months ending a quarter
//!   earlier.
//! - `count(...)`: `text`, `value`, `shown`, and for each descriptive
//!   column of the table (an area's target) its `text`, `shown` and
//!   `percent`, the count as a percentage of it.
//! - `mean(...)`: `text`, `total`, `denominator`, `shown`.
//! - `extremes(table=, breakdown=, except=[...])`: the `highest` and
//!   `lowest` reliable rates of a breakdown (`group`, `percent`), leaving out
//!   the groups `except` names, and how many were `withheld`.
//! - `cohort(table=)`: who or what the table counts, with its months:
//!   "Orders commenced in the year ending March 2005"; `months(table=)`:
//!   the months alone, "the year ending March 2005", for a table counting
//!   over one window. Both come from the table's metadata, whose windows
//!   are its query's, so a sentence cannot name the wrong months.
//! - `differences(table=, breakdowns=[...], except=[...], top=)`: for each
//!   breakdown, its highest and lowest reliable rates (`highest`, `lowest`:
//!   `group`, `percent`), kept when their difference is significant
//!   (Newcombe's 95% interval excludes 0), largest first: `breakdown`,
//!   `size` ("12.3 percentage points").
//! - The filter `lower_first` starts a phrase in lower case, to follow a
//!   comma (the Order keeps its capital).
//! - `values(table=, dimension=)`: the values of a dimension, in the
//!   table's order, each as `value` (to name a row to another helper) and
//!   `text` (to print).
//! - `chart(table=, message=)`, `trend(table=, message=)` and
//!   `table(table=, breakdowns=[...])` place a chart with
//!   its data, or a table, where they stand on a line of their own; any
//!   other keyword of `table` keeps the rows with that value in that
//!   dimension (`area="All areas"`).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use tera::{Context, Tera};

use dtto_model::format;
use dtto_model::period::Period;
use dtto_model::table::{BREAKDOWN, NO_DESCRIPTION, Shorthand, national};
use dtto_protect::disclosure::{ProtectedRow, ProtectedTable, ProtectedValue, Shown};
use dtto_protect::statistics::Change;
use dtto_protect::statistics::intervals::newcombe_difference;

/// What a directive line starts with.
pub(crate) const CHART_DIRECTIVE: &str = "@chart ";
pub(crate) const TABLE_DIRECTIVE: &str = "@table ";
pub(crate) const TREND_DIRECTIVE: &str = "@trend ";

/// Renders `template` (its name, for messages, and text) to Markdown.
pub(crate) fn render(
    name: &str,
    template: &str,
    tables: &[ProtectedTable],
    period: Period,
    context: &Context,
) -> tera::Result<String> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    tera.add_raw_template(name, template)?;
    let tables: Arc<Vec<ProtectedTable>> = Arc::new(tables.to_vec());
    let helper = |f: fn(&ProtectedValue) -> Value| {
        let tables = Arc::clone(&tables);
        move |args: &HashMap<String, Value>| -> tera::Result<Value> {
            Ok(find_row(&tables, args)?.map_or_else(not_available, |row| f(row.value())))
        }
    };
    tera.register_filter(
        "lower_first",
        |value: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
            let text = value.as_str().ok_or("lower_first: not text")?;
            Ok(Value::String(format::lower_first(text)))
        },
    );
    tera.register_function("rate", helper(rate));
    tera.register_function("mean", helper(mean));
    let count_tables = Arc::clone(&tables);
    tera.register_function("count", move |args: &HashMap<String, Value>| {
        let table = table_named(&count_tables, args)?;
        Ok(find_row(&count_tables, args)?.map_or_else(not_available, |row| count(table, row)))
    });
    let cohort_tables = Arc::clone(&tables);
    tera.register_function("cohort", move |args: &HashMap<String, Value>| {
        let table = table_named(&cohort_tables, args)?;
        Ok(Value::String(table.metadata().cohort_in(period)))
    });
    let months_tables = Arc::clone(&tables);
    tera.register_function("months", move |args: &HashMap<String, Value>| {
        let table = table_named(&months_tables, args)?;
        let window = table.metadata().single_window().ok_or_else(|| {
            format!(
                "months(): table `{}` counts over {}, not one window: name its cohort with \
                 cohort(table=...)",
                table.metadata().id,
                dtto_model::catalogue::names(table.metadata().windows())
            )
        })?;
        Ok(Value::String(window.ending(period).year_ending_words()))
    });
    let differences_tables = Arc::clone(&tables);
    tera.register_function("differences", move |args: &HashMap<String, Value>| {
        differences(&differences_tables, args)
    });
    let values_tables = Arc::clone(&tables);
    tera.register_function("values", move |args: &HashMap<String, Value>| {
        values(&values_tables, args)
    });
    let extremes_tables = Arc::clone(&tables);
    tera.register_function("extremes", move |args: &HashMap<String, Value>| {
        extremes(&extremes_tables, args)
    });
    // A chart and a trend are placed by a directive naming the table.
    for (name, directive) in [("chart", CHART_DIRECTIVE), ("trend", TREND_DIRECTIVE)] {
        let placed = Arc::clone(&tables);
        tera.register_function(name, move |args: &HashMap<String, Value>| {
            let table = table_named(&placed, args)?;
            let message = match args.get("message") {
                None => String::new(),
                Some(Value::String(message)) if message.trim().is_empty() => String::new(),
                Some(Value::String(message)) if !message.contains(['|', '\n']) => {
                    format!(" | {message}")
                }
                Some(_) => {
                    return Err(
                        format!("{name}(): message must be one line of words, without |").into(),
                    );
                }
            };
            Ok(Value::String(format!(
                "{directive}{}{message}",
                table.metadata().id
            )))
        });
    }
    let table_tables = Arc::clone(&tables);
    tera.register_function("table", move |args: &HashMap<String, Value>| {
        let table = table_named(&table_tables, args)?;
        let breakdowns = names(args, "breakdowns", "table")?;
        Ok(Value::String(format!(
            "{TABLE_DIRECTIVE}{}: {} | {}",
            table.metadata().id,
            breakdowns.join("; "),
            rows_kept(table, args)?.join("; ")
        )))
    });
    tera.render(name, context)
}

/// The `dimension=value` pairs of a `table()` directive: every keyword but
/// `table` and `breakdowns`, sorted so the directive is the same each
/// time. Each value is escaped, so the Markdown gives it back as it is.
fn rows_kept(table: &ProtectedTable, args: &HashMap<String, Value>) -> tera::Result<Vec<String>> {
    let id = &table.metadata().id;
    let mut kept = Vec::new();
    for (dimension, value) in args {
        if dimension == "table" || dimension == "breakdowns" {
            continue;
        }
        if !table.rows().is_empty() && !table.dimensions().contains(dimension) {
            return Err(format!(
                "table(): table `{id}` has no dimension `{dimension}`; it has {}",
                table.dimensions().join(", ")
            )
            .into());
        }
        let value = value
            .as_str()
            .ok_or_else(|| format!("table(): {dimension} must be a value in words"))?;
        // They separate the directive's parts.
        if value.contains([';', '|', '=']) {
            return Err(format!("table(): {dimension}=\"{value}\" has ;, | or =").into());
        }
        kept.push(format!("{dimension}={}", markdown_escape(value)));
    }
    kept.sort();
    Ok(kept)
}

/// The values of `dimension=` in `table=`, each once, in the table's order.
fn values(tables: &[ProtectedTable], args: &HashMap<String, Value>) -> tera::Result<Value> {
    let table = table_named(tables, args)?;
    let dimension = args
        .get("dimension")
        .and_then(Value::as_str)
        .ok_or("values() needs dimension=\"<dimension>\"")?;
    if table.rows().is_empty() {
        return Ok(json!([]));
    }
    let column = table
        .dimensions()
        .iter()
        .position(|d| d == dimension)
        .ok_or_else(|| {
            format!(
                "table `{}` has no dimension `{dimension}`; it has {}",
                table.metadata().id,
                table.dimensions().join(", ")
            )
        })?;
    let mut seen: Vec<&str> = Vec::new();
    for row in table.rows() {
        let value = row.groups()[column].as_str();
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    Ok(Value::Array(
        seen.into_iter()
            .map(|value| json!({ "value": value, "text": markdown_escape(value) }))
            .collect(),
    ))
}

/// A tera error with its causes: tera puts the useful part in the source.
pub(crate) fn describe(error: &tera::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn table_named<'a>(
    tables: &'a [ProtectedTable],
    args: &HashMap<String, Value>,
) -> tera::Result<&'a ProtectedTable> {
    let id = args
        .get("table")
        .and_then(Value::as_str)
        .ok_or("a helper needs table=\"<table id>\"")?;
    tables
        .iter()
        .find(|t| t.metadata().id == id)
        .ok_or_else(|| format!("no table has the id `{id}`").into())
}

/// The one row of `table=` whose dimensions match the other arguments;
/// `breakdown` is `National` and `group` `All` unless given. No row (a
/// group with nobody in it this year) is `None`; a dimension or breakdown
/// the table does not have is an error, as is naming too little to pick
/// one row.
fn find_row<'a>(
    tables: &'a [ProtectedTable],
    args: &HashMap<String, Value>,
) -> tera::Result<Option<&'a ProtectedRow>> {
    let table = table_named(tables, args)?;
    let id = &table.metadata().id;
    if table.rows().is_empty() {
        // An empty result has no columns to check the arguments against.
        return Ok(None);
    }
    for name in args.keys() {
        if name != "table" && !table.dimensions().contains(name) {
            return Err(format!(
                "table `{id}` has no dimension `{name}`; it has {}",
                table.dimensions().join(", ")
            )
            .into());
        }
    }
    if let Some(breakdown) = args.get(BREAKDOWN).and_then(Value::as_str)
        && !table.metadata().breakdowns.iter().any(|b| b == breakdown)
    {
        return Err(format!(
            "table `{id}` has no breakdown \"{breakdown}\"; it has {}",
            table.metadata().breakdowns.join(", ")
        )
        .into());
    }
    let wanted: Vec<(usize, String)> = table
        .dimensions()
        .iter()
        .enumerate()
        .filter_map(|(column, dimension)| {
            let given = args
                .get(dimension)
                .and_then(Value::as_str)
                .map(str::to_string);
            let default = national(dimension).map(str::to_string);
            given.or(default).map(|value| (column, value))
        })
        .collect();
    let matching: Vec<&ProtectedRow> = table
        .rows()
        .iter()
        .filter(|row| wanted.iter().all(|(c, v)| &row.groups()[*c] == v))
        .collect();
    match matching.as_slice() {
        [] => Ok(None),
        [row] => Ok(Some(row)),
        rows => Err(format!(
            "table `{id}` has {} rows for {}: name every dimension",
            rows.len(),
            describe_wanted(table, &wanted)
        )
        .into()),
    }
}

/// What every helper gives for a row the table does not have.
fn not_available() -> Value {
    json!({
        "shown": false,
        "percent": NOT_AVAILABLE,
        "text": NOT_AVAILABLE,
        "numerator": NOT_AVAILABLE,
        "denominator": NOT_AVAILABLE,
        "low_reliability": false,
        "change": { "available": false, "sentence": "is not available" },
    })
}

fn describe_wanted(table: &ProtectedTable, wanted: &[(usize, String)]) -> String {
    wanted
        .iter()
        .map(|(c, v)| format!("{}=\"{v}\"", table.dimensions()[*c]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text taken from the extract, made safe to stand in Markdown.
pub(crate) fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const WITHHELD: &str = Shorthand::Confidential.mark();
const NOT_AVAILABLE: &str = Shorthand::NotAvailable.mark();

fn shown_count(figure: Shown<u64>) -> Value {
    figure
        .value()
        .map_or(json!(WITHHELD), |n| json!(format::thousands(n)))
}

fn rate(value: &ProtectedValue) -> Value {
    let ProtectedValue::Rate(rate) = value else {
        return json!({ "shown": false, "percent": WITHHELD });
    };
    let estimate = rate.estimate().value().flatten();
    let now = estimate.map(|(now, _)| now);
    let change = change_words(rate.change(), now, "a year earlier");
    let change_on_quarter = change_words(rate.change_on_quarter(), now, "a quarter earlier");
    match estimate {
        Some((now, interval)) => json!({
            "shown": true,
            "percent": format::percent(now),
            "lower": format::percent(interval.lower),
            "upper": format::percent(interval.upper),
            "numerator": shown_count(rate.numerator()),
            "denominator": shown_count(rate.denominator()),
            "low_reliability": rate.low_reliability(),
            "change": change,
            "change_on_quarter": change_on_quarter,
        }),
        None => json!({
            "shown": false,
            "percent": WITHHELD,
            "numerator": shown_count(rate.numerator()),
            "denominator": shown_count(rate.denominator()),
            "low_reliability": rate.low_reliability(),
            "change": change,
            "change_on_quarter": change_on_quarter,
        }),
    }
}

/// A rate's change on the 12 months it is compared with (`when`: "a year
/// earlier"), in words; `now`: the rate, where shown.
fn change_words(change: Option<&Change>, now: Option<f64>, when: &str) -> Value {
    let (Some(change), Some(now)) = (change, now) else {
        return json!({
            "available": false,
            "sentence": match now {
                Some(now) => format!("was {}", format::percent(now)),
                None => "cannot be shown".to_string(),
            },
        });
    };
    let previous = change.previous_numerator as f64 / change.previous_denominator as f64;
    let size = format::points(change.difference.abs())
        .trim_start_matches('+')
        .to_string();
    let (direction, verdict) = match (change.significant, change.difference > 0.0) {
        (false, _) => ("did not change significantly", "no significant change"),
        (true, true) => ("rose", "a significant rise"),
        (true, false) => ("fell", "a significant fall"),
    };
    let sentence = if change.significant {
        format!(
            "{direction} from {} to {}",
            format::percent(previous),
            format::percent(now)
        )
    } else {
        format!(
            "was {}, not significantly different from {} {when}",
            format::percent(now),
            format::percent(previous)
        )
    };
    json!({
        "available": true,
        "previous": format::percent(previous),
        "points": format::points(change.difference),
        "size": format!("{size} percentage points"),
        "significant": change.significant,
        "direction": direction,
        "verdict": verdict,
        "sentence": sentence,
    })
}

/// A count, with what each descriptive column of its table says beside it.
fn count(table: &ProtectedTable, row: &ProtectedRow) -> Value {
    let shown = match row.value() {
        ProtectedValue::Count(Shown::Value(n)) => Some(*n),
        _ => None,
    };
    let mut value = match shown {
        Some(n) => json!({ "shown": true, "text": format::thousands(n), "value": n }),
        None => json!({ "shown": false, "text": WITHHELD, "value": null }),
    };
    for (dimension, group) in table.dimensions().iter().zip(row.groups()) {
        if table.metadata().descriptive.contains(dimension) {
            value[dimension.as_str()] = beside(group, shown);
        }
    }
    value
}

/// A descriptive value (a target) beside a count: its `text`, whether it is
/// `shown`, and the count as a `percent` of it. The percentage of a
/// withheld count is withheld with it: with the target, it would give the
/// count back.
fn beside(description: &str, count: Option<u64>) -> Value {
    if description == NO_DESCRIPTION.mark() {
        return json!({ "shown": false, "text": NO_DESCRIPTION.mark(), "percent": NOT_AVAILABLE });
    }
    let Ok(of) = description.parse::<u64>() else {
        return json!({
            "shown": true,
            "text": markdown_escape(description),
            "percent": NOT_AVAILABLE,
        });
    };
    let percent = match count {
        None => WITHHELD.to_string(),
        Some(_) if of == 0 => Shorthand::NotApplicable.mark().to_string(),
        Some(n) => format::percent(n as f64 / of as f64),
    };
    json!({ "shown": true, "text": format::thousands(of), "percent": percent })
}

fn mean(value: &ProtectedValue) -> Value {
    match value {
        ProtectedValue::Mean(mean) => match mean.mean() {
            Shown::Value(Some(m)) => json!({
                "shown": true,
                "text": format::mean(m),
                "total": shown_count(mean.total()),
                "denominator": shown_count(mean.denominator()),
            }),
            _ => json!({ "shown": false, "text": WITHHELD }),
        },
        _ => json!({ "shown": false, "text": WITHHELD }),
    }
}

/// The names a `helper` was given as `key=[...]`; none if not given.
fn names(args: &HashMap<String, Value>, key: &str, helper: &str) -> tera::Result<Vec<String>> {
    let not_names = || format!("{helper}(): {key} must be a list of names");
    match args.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| not_names().into()),
        Some(_) => Err(not_names().into()),
    }
}

/// The rates of a breakdown's groups, those `except` names left out: the
/// ones shown and resting on enough cases (`group`, numerator,
/// denominator), and how many are withheld.
struct GroupRates<'a> {
    reliable: Vec<(&'a str, u64, u64)>,
    withheld: usize,
}

impl GroupRates<'_> {
    fn share((_, x, n): &(&str, u64, u64)) -> f64 {
        *x as f64 / *n as f64
    }

    fn highest(&self) -> Option<&(&str, u64, u64)> {
        self.reliable
            .iter()
            .max_by(|a, b| Self::share(a).total_cmp(&Self::share(b)))
    }

    fn lowest(&self) -> Option<&(&str, u64, u64)> {
        self.reliable
            .iter()
            .min_by(|a, b| Self::share(a).total_cmp(&Self::share(b)))
    }
}

fn group_rates<'a>(
    table: &'a ProtectedTable,
    breakdown: &str,
    except: &[String],
) -> tera::Result<GroupRates<'a>> {
    let mut rates = GroupRates {
        reliable: Vec::new(),
        withheld: 0,
    };
    let Some((breakdown_column, group_column)) = table.dimensions().breakdown_and_group() else {
        if table.rows().is_empty() {
            return Ok(rates);
        }
        return Err(format!("table `{}` has no breakdowns", table.metadata().id).into());
    };
    for row in table.rows() {
        let group = row.groups()[group_column].as_str();
        if row.groups()[breakdown_column] != breakdown || except.iter().any(|e| e == group) {
            continue;
        }
        let ProtectedValue::Rate(rate) = row.value() else {
            return Err(format!("table `{}` has no rates", table.metadata().id).into());
        };
        match (rate.numerator(), rate.denominator()) {
            _ if rate.estimate().is_withheld() => rates.withheld += 1,
            (Shown::Value(x), Shown::Value(n)) if n > 0 && !rate.low_reliability() => {
                rates.reliable.push((group, x, n));
            }
            _ => {}
        }
    }
    Ok(rates)
}

/// The highest and lowest rates of a breakdown, among those shown and not
/// of low reliability, and not of a group named in `except=[...]`.
fn extremes(tables: &[ProtectedTable], args: &HashMap<String, Value>) -> tera::Result<Value> {
    let table = table_named(tables, args)?;
    let breakdown = args
        .get(BREAKDOWN)
        .and_then(Value::as_str)
        .ok_or("extremes() needs breakdown=\"<breakdown>\"")?;
    let rates = group_rates(table, breakdown, &names(args, "except", "extremes")?)?;
    let describe = |pick: Option<&(&str, u64, u64)>| {
        pick.map_or(Value::Null, |rate| {
            json!({
                "group": markdown_escape(rate.0),
                "percent": format::percent(GroupRates::share(rate)),
            })
        })
    };
    Ok(json!({
        "highest": describe(rates.highest()),
        "lowest": describe(rates.lowest()),
        "withheld": rates.withheld,
    }))
}

/// The significant differences between groups: for each breakdown named
/// (`breakdowns=[...]`), the highest and the lowest reliable rate shown,
/// kept when the 95% interval of their difference (Newcombe) excludes 0;
/// largest first, at most `top=` of them. Groups named in `except=[...]`
/// (those of no one group, like "Not known") are left out.
fn differences(tables: &[ProtectedTable], args: &HashMap<String, Value>) -> tera::Result<Value> {
    let table = table_named(tables, args)?;
    let breakdowns = names(args, "breakdowns", "differences")?;
    if breakdowns.is_empty() {
        return Err("differences() needs breakdowns=[...], the breakdowns to compare".into());
    }
    let except = names(args, "except", "differences")?;
    let top = args.get("top").and_then(Value::as_u64).unwrap_or(u64::MAX);
    let mut found: Vec<(f64, Value)> = Vec::new();
    for breakdown in &breakdowns {
        let rates = group_rates(table, breakdown, &except)?;
        let (Some(high), Some(low)) = (rates.highest(), rates.lowest()) else {
            continue;
        };
        let Some((difference, interval)) = newcombe_difference(high.1, high.2, low.1, low.2) else {
            continue;
        };
        if interval.lower <= 0.0 {
            continue;
        }
        let size = format::points(difference);
        found.push((
            difference,
            json!({
                "breakdown": markdown_escape(&format::lower_first(breakdown)),
                "highest": { "group": markdown_escape(high.0), "percent": format::percent(GroupRates::share(high)) },
                "lowest": { "group": markdown_escape(low.0), "percent": format::percent(GroupRates::share(low)) },
                "size": format!("{} percentage points", size.trim_start_matches('+')),
            }),
        ));
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(Value::Array(
        found
            .into_iter()
            .take(usize::try_from(top).unwrap_or(usize::MAX))
            .map(|(_, value)| value)
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::{beside, markdown_escape};
    use serde_json::json;

    #[test]
    fn a_target_beside_its_count() {
        // 10,300 of 13,000 is 79.23 %.
        assert_eq!(
            beside("13000", Some(10_300)),
            json!({ "shown": true, "text": "13,000", "percent": "79.2%" })
        );
        // With the target, the percentage would give a withheld count back.
        assert_eq!(
            beside("13000", None),
            json!({ "shown": true, "text": "13,000", "percent": "[c]" })
        );
        assert_eq!(
            beside("0", Some(3)),
            json!({ "shown": true, "text": "0", "percent": "[z]" })
        );
        assert_eq!(
            beside("[x]", Some(3)),
            json!({ "shown": false, "text": "[x]", "percent": "[x]" })
        );
    }

    #[test]
    fn extract_text_cannot_become_markdown() {
        assert_eq!(
            markdown_escape("early_good_progress"),
            "early\\_good\\_progress"
        );
        assert_eq!(markdown_escape("*x* [a](b)"), "\\*x\\* \\[a\\]\\(b\\)");
    }
}
