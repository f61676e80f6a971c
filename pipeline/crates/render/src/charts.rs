//! `charts/<table>.svg`: one horizontal bar chart per table whose metadata
//! asks for one, in the Analysis Function style: at most four colours from
//! its categorical palette, horizontal text, values written at the end of
//! each bar, 95 % intervals as error bars, a withheld value drawn as a
//! labelled gap. Titles, subtitles and the source line are in the page,
//! not the image; the alt text is made from the same figures.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use tera::escape_html;

use super::{RenderError, fonts};
use dtto_model::catalogue::ChartKind;
use dtto_model::format;
use dtto_model::period::{Period, QUARTERS_AXIS};
use dtto_model::table::{NATIONAL, Shorthand, TableKind};
use dtto_protect::disclosure::{ProtectedRow, ProtectedTable, ProtectedValue, Shown};

/// The Analysis Function categorical palette, in the order it is used.
pub(crate) const PALETTE: [RGBColor; 4] = [
    RGBColor(0x12, 0x43, 0x6D),
    RGBColor(0x28, 0xA1, 0x97),
    RGBColor(0x80, 0x16, 0x50),
    RGBColor(0xF4, 0x6A, 0x25),
];
const TEXT: RGBColor = RGBColor(0x0B, 0x0C, 0x0C);
const GRID: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);
const ERROR_BAR: RGBColor = RGBColor(0x3D, 0x3D, 0x3D);

const WIDTH: u32 = 680;
const BAR: i32 = 18;
const BAR_GAP: i32 = 3;
const CATEGORY_GAP: i32 = 12;
const FONT_SIZE: f64 = 18.0;
const TOP: i32 = 12;
const LEGEND: i32 = 26;
const AXIS: i32 = 44;
const VALUE_ROOM: i32 = 110;

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The table's id, and the file's name.
    pub id: String,
    pub svg: String,
    pub alt: String,
    /// The drawing's size in pixels.
    pub width: u32,
    pub height: u32,
}

/// One bar: a value with its interval, or a gap.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bar {
    Value {
        value: f64,
        interval: Option<(f64, f64)>,
        /// On too few cases to be relied on: labelled `[u]`.
        low_reliability: bool,
    },
    Withheld,
    NotApplicable,
}

/// What a chart plots: categories down the side, up to four series each.
#[derive(Debug, Clone, PartialEq)]
struct Plot {
    categories: Vec<String>,
    series: Vec<String>,
    /// `bars[category][series]`.
    bars: Vec<Vec<Bar>>,
    kind: TableKind,
}

/// What plotters reports when it cannot draw into the SVG.
type DrawingError = DrawingAreaErrorKind<<SVGBackend<'static> as DrawingBackend>::ErrorType>;

/// The chart of `table`, if its metadata asks for one and it has something
/// to draw. `when` names the reference year in the alt text.
pub fn chart(table: &ProtectedTable, when: &str) -> Result<Option<Chart>, RenderError> {
    let metadata = table.metadata();
    if metadata.chart.kind == ChartKind::None {
        return Ok(None);
    }
    let Some(plot) = plot(table) else {
        return Ok(None);
    };
    fonts::register_for_charts();
    let alt = alt_text(table, &plot, when);
    let (svg, height) = draw(&plot, &metadata.title, &alt).map_err(|e| RenderError::Chart {
        table: metadata.id.clone(),
        reason: e.to_string(),
    })?;
    Ok(Some(Chart {
        id: metadata.id.clone(),
        svg,
        alt,
        width: WIDTH,
        height,
    }))
}

/// The rows of the chart's breakdown; categories are its groups or, where
/// it has only one (`National`), the values of the next dimension; the
/// remaining dimensions make the series. Their `All …` totals are not drawn.
fn plot(table: &ProtectedTable) -> Option<Plot> {
    let dimensions = table.dimensions();
    let (breakdown_column, group_column) = (dimensions.breakdown(), dimensions.group());
    let wanted = table.metadata().chart.breakdown.as_deref();
    let rows: Vec<&ProtectedRow> = table
        .rows()
        .iter()
        .filter(|row| match (breakdown_column, wanted) {
            (Some(column), Some(wanted)) => row.groups()[column] == wanted,
            _ => true,
        })
        .filter(|row| !dimensions.totals_a_dimension(row.groups()))
        .collect();
    let mut others: Vec<usize> = (0..dimensions.len())
        .filter(|&d| !dimensions.is_breakdown_or_group(d))
        .collect();
    let distinct = |column: usize| unique(rows.iter().map(|r| r.groups()[column].clone()));
    let category_column = match group_column {
        Some(column) if distinct(column).len() > 1 || others.is_empty() => column,
        _ if !others.is_empty() => others.remove(0),
        _ => return None,
    };
    let series_of = |row: &ProtectedRow| {
        others
            .iter()
            .map(|&d| row.groups()[d].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let categories = distinct(category_column);
    let series = unique(rows.iter().map(|r| series_of(r)));
    if categories.is_empty() || series.len() > PALETTE.len() {
        return None;
    }
    let bars = categories
        .iter()
        .map(|category| {
            series
                .iter()
                .map(|name| {
                    rows.iter()
                        .find(|r| &r.groups()[category_column] == category && &series_of(r) == name)
                        .map_or(Bar::NotApplicable, |r| bar(r.value()))
                })
                .collect()
        })
        .collect();
    Some(Plot {
        categories,
        series,
        bars,
        kind: table.metadata().kind,
    })
}

fn unique(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen
}

fn bar(value: &ProtectedValue) -> Bar {
    match value {
        ProtectedValue::Count(Shown::Value(n)) => Bar::Value {
            value: *n as f64,
            interval: None,
            low_reliability: false,
        },
        ProtectedValue::Rate(rate) => match rate.estimate() {
            Shown::Value(Some((p, interval))) => Bar::Value {
                value: format::percent_value(p),
                interval: Some((
                    format::percent_value(interval.lower),
                    format::percent_value(interval.upper),
                )),
                low_reliability: rate.low_reliability(),
            },
            Shown::Value(None) => Bar::NotApplicable,
            Shown::Withheld => Bar::Withheld,
        },
        ProtectedValue::Mean(mean) => match mean.mean() {
            Shown::Value(Some(m)) => Bar::Value {
                value: m,
                interval: None,
                low_reliability: mean.low_reliability(),
            },
            Shown::Value(None) => Bar::NotApplicable,
            Shown::Withheld => Bar::Withheld,
        },
        ProtectedValue::Count(Shown::Withheld) => Bar::Withheld,
    }
}

fn label(kind: TableKind, value: f64) -> String {
    match kind {
        TableKind::Rate => format!("{value:.1}%"),
        TableKind::Count => format::thousands(value as u64),
        TableKind::Mean => format::mean(value),
    }
}

/// An axis tick: `20%`, `2,000`, `0.50`.
fn tick_label(kind: TableKind, value: f64) -> String {
    match kind {
        TableKind::Rate => format!("{value:.0}%"),
        TableKind::Count => format::thousands(value as u64),
        TableKind::Mean => format::mean(value),
    }
}

/// The value axis: 0–100 for percentages, else up to a round number above
/// the largest value.
fn axis_maximum(plot: &Plot) -> f64 {
    if plot.kind == TableKind::Rate {
        return 100.0;
    }
    let largest = plot
        .bars
        .iter()
        .flatten()
        .filter_map(|b| match b {
            Bar::Value { value, .. } => Some(*value),
            _ => None,
        })
        .fold(0.0_f64, f64::max);
    nice_ceiling(largest)
}

/// The smallest round number at or above `value` whose quarters are round
/// too (1 for 0): 1,104 gives 1,200, ticked every 300.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10_f64.powf(value.log10().floor());
    [1.0, 1.2, 1.6, 2.0, 2.4, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|&candidate| candidate >= value)
        .unwrap_or(10.0 * magnitude)
}

fn draw(plot: &Plot, title: &str, alt: &str) -> Result<(String, u32), DrawingError> {
    let font = || (fonts::FAMILY, FONT_SIZE).into_font();
    let label_width = plot
        .categories
        .iter()
        .filter_map(|c| font().box_size(c).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0)
        + 12;
    let series_count = plot.series.len() as i32;
    let legend = if series_count > 1 { LEGEND } else { 0 };
    let block = series_count * (BAR + BAR_GAP) - BAR_GAP + CATEGORY_GAP;
    let height = TOP + legend + plot.categories.len() as i32 * block + AXIS;
    let left = label_width;
    let right = WIDTH as i32 - VALUE_ROOM;
    let maximum = axis_maximum(plot);
    let x = |value: f64| left + ((value / maximum) * f64::from(right - left)).round() as i32;
    let plot_top = TOP + legend;
    let plot_bottom = height - AXIS;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height as u32)).into_drawing_area();
        root.fill(&WHITE)?;
        let text = |anchor: Pos| font().color(&TEXT).pos(anchor);
        let ticks = if plot.kind == TableKind::Rate { 5 } else { 4 };
        for tick in 0..=ticks {
            let value = maximum * f64::from(tick) / f64::from(ticks);
            let at = x(value);
            root.draw(&PathElement::new(
                vec![(at, plot_top), (at, plot_bottom)],
                GRID.stroke_width(1),
            ))?;
            root.draw(&Text::new(
                tick_label(plot.kind, value),
                (at, plot_bottom + 6),
                text(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        let axis_title = match plot.kind {
            TableKind::Rate => "Percentage",
            TableKind::Count => "Number",
            TableKind::Mean => "Mean per person",
        };
        root.draw(&Text::new(
            axis_title,
            ((left + right) / 2, plot_bottom + 26),
            text(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        if series_count > 1 {
            let mut at = left;
            for (name, colour) in plot.series.iter().zip(PALETTE) {
                root.draw(&Rectangle::new(
                    [(at, TOP + 2), (at + 14, TOP + 16)],
                    colour.filled(),
                ))?;
                root.draw(&Text::new(
                    name.clone(),
                    (at + 20, TOP + 9),
                    text(Pos::new(HPos::Left, VPos::Center)),
                ))?;
                at += 20 + font().box_size(name).map_or(80, |(w, _)| w as i32) + 24;
            }
        }
        for (index, (category, bars)) in plot.categories.iter().zip(&plot.bars).enumerate() {
            let block_top = plot_top + index as i32 * block + CATEGORY_GAP / 2;
            let middle = block_top + (block - CATEGORY_GAP) / 2;
            root.draw(&Text::new(
                category.clone(),
                (left - 8, middle),
                text(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            for (position, (bar, colour)) in bars.iter().zip(PALETTE).enumerate() {
                let top = block_top + position as i32 * (BAR + BAR_GAP);
                let centre = top + BAR / 2;
                let note = |words: &str| {
                    Text::new(
                        words.to_string(),
                        (left + 4, centre),
                        text(Pos::new(HPos::Left, VPos::Center)),
                    )
                };
                match *bar {
                    Bar::Value {
                        value,
                        interval,
                        low_reliability,
                    } => {
                        root.draw(&Rectangle::new(
                            [(left, top), (x(value).max(left + 1), top + BAR)],
                            colour.filled(),
                        ))?;
                        let mut end = x(value);
                        if let Some((lower, upper)) = interval {
                            let style = ERROR_BAR.stroke_width(2);
                            let (from, to) = (x(lower), x(upper));
                            root.draw(&PathElement::new(
                                vec![(from, centre), (to, centre)],
                                style,
                            ))?;
                            for cap in [from, to] {
                                root.draw(&PathElement::new(
                                    vec![(cap, centre - 5), (cap, centre + 5)],
                                    style,
                                ))?;
                            }
                            end = end.max(to);
                        }
                        let mut words = label(plot.kind, value);
                        if low_reliability {
                            words.push_str(&format!(" {}", Shorthand::LowReliability));
                        }
                        root.draw(&Text::new(
                            words,
                            (end + 6, centre),
                            text(Pos::new(HPos::Left, VPos::Center)),
                        ))?;
                    }
                    Bar::Withheld => {
                        root.draw(&note(&format!("{} withheld", Shorthand::Confidential)))?
                    }
                    Bar::NotApplicable => {
                        root.draw(&note(&format!("{} none", Shorthand::NotApplicable)))?
                    }
                }
            }
        }
        root.present()?;
    }
    Ok((accessible(&svg, title, alt), height as u32))
}

/// A rate and its interval's lower and upper ends, in percent.
type Estimate = (f64, f64, f64);

/// One point of a trend: the quarter its 12 months end in, and its
/// estimate where shown.
type TrendPoint = (Period, Option<Estimate>);

const TREND_HEIGHT: i32 = 316;
/// Room for the y axis's title, turned on its side, and its labels.
const TREND_LEFT: i32 = 84;
const TREND_RIGHT: i32 = 44;
/// Room under the quarters for the x axis's title.
const AXIS_TITLE: i32 = 16;

/// `charts/<table>-series.svg`: a rate's national series as a line over the
/// quarters with its 95 % interval as a band; a withheld quarter is a gap.
/// The y axis starts at 0 (a line that starts higher exaggerates change),
/// both axes are titled, and every fourth quarter back from the latest is
/// labelled: a tick every year, the latest always named.
/// `None` for a table that is not a rate or has fewer than two quarters to
/// draw.
pub fn trend(series: &ProtectedTable) -> Result<Option<Chart>, RenderError> {
    let metadata = series.metadata();
    let dimensions = series.dimensions();
    let Some(quarter) = dimensions.quarter() else {
        return Ok(None);
    };
    if metadata.kind != TableKind::Rate {
        return Ok(None);
    }
    // Each point at the quarter its 12 months end with, which for a lagged
    // cohort is not the edition's quarter it is published for; a table of
    // no single window at the quarter it is published for.
    let counted_ending = |row: &ProtectedRow| {
        super::window_ending(series, row, None).or_else(|| row.groups()[quarter].parse().ok())
    };
    let points: Vec<TrendPoint> = series
        .rows()
        .iter()
        .filter(|row| dimensions.is_national(row.groups()))
        .filter(|row| !dimensions.totals_a_dimension(row.groups()))
        .filter_map(|row| {
            let when = counted_ending(row)?;
            let ProtectedValue::Rate(rate) = row.value() else {
                return None;
            };
            let shown = rate.estimate().value().flatten().map(|(value, interval)| {
                (
                    value * 100.0,
                    interval.lower * 100.0,
                    interval.upper * 100.0,
                )
            });
            Some((when, shown))
        })
        .collect();
    // One line: a table with more than one national row a quarter (rates
    // by substance) has no single trend to draw.
    let one_a_quarter = points.windows(2).all(|pair| pair[0].0 < pair[1].0);
    if !one_a_quarter || points.iter().filter(|(_, p)| p.is_some()).count() < 2 {
        return Ok(None);
    }
    let revised: Vec<Period> = series
        .rows()
        .iter()
        .filter(|row| dimensions.is_national(row.groups()))
        .filter(|row| row.marks().contains(&Shorthand::Revised))
        .filter_map(counted_ending)
        .collect();
    fonts::register_for_charts();
    let mut alt = trend_words(&metadata.title, &metadata.cohort_over_series(), &points);
    alt.push_str(&revised_words(&revised));
    let svg =
        draw_trend(&points, &revised, &metadata.title, &alt).map_err(|e| RenderError::Chart {
            table: metadata.id.clone(),
            reason: e.to_string(),
        })?;
    Ok(Some(Chart {
        id: format!("{}-series", metadata.id),
        svg,
        alt,
        width: WIDTH,
        height: TREND_HEIGHT as u32,
    }))
}

fn draw_trend(
    points: &[TrendPoint],
    revised: &[Period],
    title: &str,
    alt: &str,
) -> Result<String, DrawingError> {
    let font = || (fonts::FAMILY, FONT_SIZE).into_font();
    let shown = || points.iter().filter_map(|(_, p)| *p);
    let high = shown().map(|(_, _, upper)| upper).fold(0.0, f64::max);
    // From 0 to the whole ten above every interval.
    let bottom_value = 0.0;
    let top_value = ((high / 10.0).ceil() * 10.0).clamp(10.0, 100.0);
    let step = trend_tick_step(top_value - bottom_value);
    // Room above the plot for the key, when there is one.
    let plot_top = if revised.is_empty() {
        TOP
    } else {
        TOP + LEGEND
    };
    let plot_bottom = TREND_HEIGHT - AXIS - AXIS_TITLE;
    let (left, right) = (TREND_LEFT, WIDTH as i32 - TREND_RIGHT);
    let last = (points.len() - 1).max(1) as f64;
    let x = |i: usize| left + ((i as f64 / last) * f64::from(right - left)).round() as i32;
    let y = |v: f64| {
        plot_bottom
            - (((v - bottom_value) / (top_value - bottom_value))
                * f64::from(plot_bottom - plot_top))
            .round() as i32
    };
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (WIDTH, TREND_HEIGHT as u32)).into_drawing_area();
        root.fill(&WHITE)?;
        let text = |anchor: Pos| font().color(&TEXT).pos(anchor);
        let mut tick = bottom_value;
        while tick <= top_value + 1e-9 {
            root.draw(&PathElement::new(
                vec![(left, y(tick)), (right, y(tick))],
                GRID.stroke_width(1),
            ))?;
            root.draw(&Text::new(
                format!("{tick:.0}%"),
                (left - 8, y(tick)),
                text(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            tick += step;
        }
        for i in 0..points.len() {
            root.draw(&PathElement::new(
                vec![(x(i), plot_bottom), (x(i), plot_bottom + 5)],
                TEXT.stroke_width(1),
            ))?;
        }
        for i in labelled_quarters(points.len()) {
            root.draw(&Text::new(
                points[i].0.to_string(),
                (x(i), plot_bottom + 8),
                text(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        root.draw(&Text::new(
            QUARTERS_AXIS,
            ((left + right) / 2, plot_bottom + 34),
            text(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        root.draw(&Text::new(
            "Per cent",
            (4, (plot_top + plot_bottom) / 2),
            font()
                .transform(FontTransform::Rotate270)
                .color(&TEXT)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        for run in shown_runs(points) {
            let mut band: Vec<(i32, i32)> =
                run.iter().map(|&(i, (_, _, u))| (x(i), y(u))).collect();
            band.extend(run.iter().rev().map(|&(i, (_, l, _))| (x(i), y(l))));
            root.draw(&Polygon::new(band, PALETTE[0].mix(0.2).filled()))?;
            let line: Vec<(i32, i32)> = run.iter().map(|&(i, (v, _, _))| (x(i), y(v))).collect();
            root.draw(&PathElement::new(line, PALETTE[0].stroke_width(3)))?;
            for &(i, (v, _, _)) in &run {
                if revised.contains(&points[i].0) {
                    // Hollow: a revised figure, as the key says.
                    root.draw(&Circle::new((x(i), y(v)), 4, WHITE.filled()))?;
                    root.draw(&Circle::new((x(i), y(v)), 4, PALETTE[0].stroke_width(2)))?;
                } else {
                    root.draw(&Circle::new((x(i), y(v)), 3, PALETTE[0].filled()))?;
                }
            }
        }
        if !revised.is_empty() {
            let key = (left + 6, TOP + 6);
            root.draw(&Circle::new(key, 4, PALETTE[0].stroke_width(2)))?;
            root.draw(&Text::new(
                format!("revised {}", Shorthand::Revised),
                (key.0 + 10, key.1),
                text(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        root.present()?;
    }
    Ok(accessible(&svg, title, alt))
}

/// Which of `points` quarters carry their name under the axis: the latest
/// and every fourth before it, so the labels fall a year apart, evenly,
/// and the latest figure is always named.
fn labelled_quarters(points: usize) -> Vec<usize> {
    let last = points.saturating_sub(1);
    (0..points)
        .filter(|i| (last - i).is_multiple_of(4))
        .collect()
}

/// Percentage points between the trend's gridlines: a reader needs a few
/// between its whole tens to read a value off, not just the two ends.
fn trend_tick_step(span: f64) -> f64 {
    if span <= 10.0 {
        2.0
    } else if span <= 20.0 {
        5.0
    } else {
        10.0
    }
}

/// The runs of consecutive shown points, each point with its position.
fn shown_runs(points: &[TrendPoint]) -> Vec<Vec<(usize, Estimate)>> {
    let mut runs: Vec<Vec<(usize, Estimate)>> = vec![Vec::new()];
    for (i, (_, point)) in points.iter().enumerate() {
        match point {
            Some(p) => runs.last_mut().map_or((), |run| run.push((i, *p))),
            None => runs.push(Vec::new()),
        }
    }
    runs.retain(|run| !run.is_empty());
    runs
}

/// Which points of the trend are revised, in words; nothing when none is.
fn revised_words(revised: &[Period]) -> String {
    let year = |q: &Period| q.year_ending_words();
    match revised {
        [] => String::new(),
        [only] => format!(
            " The figure for {} is revised since the previous edition {}.",
            year(only),
            Shorthand::Revised
        ),
        [first, .., last] => format!(
            " {} figures, from {} to {}, are revised since the previous edition {}.",
            revised.len(),
            year(first),
            year(last),
            Shorthand::Revised
        ),
    }
}

/// The start-up the first points show, in words: a series starts with the
/// first 12 months the extract covers whole, so its first four points each
/// count months of the first year of the extract's Orders, when Orders
/// were starting (completion then counts mostly Orders revoked early).
/// Nothing for a series of four points or fewer, all of them start-up.
fn start_up_words(points: &[TrendPoint]) -> String {
    match points.get(3) {
        Some((fourth, _)) if points.len() > 4 => format!(
            " The first four points, to {}, count months of the first year of the \
             extract's Orders, a start-up period: read the trend after them.",
            fourth.year_ending_words()
        ),
        _ => String::new(),
    }
}

/// The trend in words: where it started and ended, and its extremes.
fn trend_words(title: &str, counted: &str, points: &[TrendPoint]) -> String {
    let year = |q: &Period| q.year_ending_words();
    let shown: Vec<(&Period, f64)> = points
        .iter()
        .filter_map(|(q, p)| p.map(|(v, _, _)| (q, v)))
        .collect();
    // A point as a reader says it: the rate, and the 12 months it is of.
    let value = |point: &(&Period, f64)| (format::percent(point.1 / 100.0), year(point.0));
    let mut words = format!(
        "Line chart of {}: {}.",
        dtto_model::format::lower_first(title),
        dtto_model::format::lower_first(counted)
    );
    if let (Some(first), Some(last)) = (shown.first(), shown.last()) {
        let change = if last.1 > first.1 {
            "rose"
        } else if last.1 < first.1 {
            "fell"
        } else {
            "was unchanged"
        };
        let (from, to) = (value(first), value(last));
        words.push_str(&format!(
            " It {change} from {} in {} to {} in {}.",
            from.0, from.1, to.0, to.1
        ));
    }
    let highest = shown.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let lowest = shown.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some(high), Some(low)) = (highest, lowest) {
        let (high, low) = (value(high), value(low));
        words.push_str(&format!(
            " Highest {} ({}), lowest {} ({}).",
            high.0, high.1, low.0, low.1
        ));
    }
    words.push_str(&start_up_words(points));
    let withheld = points.iter().filter(|(_, p)| p.is_none()).count();
    if withheld > 0 {
        words.push_str(&format!(
            " {withheld} quarter{} withheld to protect confidentiality.",
            if withheld == 1 { " is" } else { "s are" }
        ));
    }
    words.push_str(
        " The band shows the 95% confidence interval. The figures are in the table that follows.",
    );
    words
}

impl Chart {
    /// The chart with DRAFT in its top right corner, for an edition not
    /// yet released: a chart copied on its own still says so.
    pub fn marked_draft(mut self) -> Chart {
        let mark = format!(
            "<text x=\"{}\" y=\"14\" text-anchor=\"end\" font-family=\"{}\" \
             font-size=\"13\" font-weight=\"bold\" fill=\"#b10e1e\">DRAFT</text>",
            self.width.saturating_sub(6),
            escape_html(fonts::CSS_FAMILY)
        );
        // Last, so that nothing is drawn over it.
        if let Some(at) = self.svg.rfind("</svg>") {
            self.svg.insert_str(at, &mark);
        }
        self
    }
}

/// The SVG as an image with a name: `role="img"`, its alt text as the
/// label and title, and the font named with its fallbacks.
fn accessible(svg: &str, title: &str, alt: &str) -> String {
    let escaped = escape_html(alt);
    let opening_end = svg.find('>').unwrap_or(0);
    let (opening, rest) = svg.split_at(opening_end);
    let with_name = format!(
        "{opening} role=\"img\" aria-label=\"{escaped}\"><title>{}</title>{}",
        escape_html(title),
        rest.strip_prefix('>').unwrap_or(rest)
    );
    with_name.replace(
        &format!("font-family=\"{}\"", fonts::FAMILY),
        &format!("font-family=\"{}\"", fonts::CSS_FAMILY),
    )
}

/// The bars marked `[u]`, in words; nothing when there are none.
fn unreliable_words(bars: &[Vec<Bar>]) -> String {
    let unreliable = bars
        .iter()
        .flatten()
        .filter(|bar| matches!(bar, Bar::Value { low_reliability, .. } if *low_reliability))
        .count();
    match unreliable {
        0 => String::new(),
        1 => format!(
            " 1 value is marked {}: it rests on too few cases to be relied on.",
            Shorthand::LowReliability
        ),
        n => format!(
            " {n} values are marked {}: they rest on too few cases to be relied on.",
            Shorthand::LowReliability
        ),
    }
}

/// What the chart shows, in words, from the same figures.
fn alt_text(table: &ProtectedTable, plot: &Plot, when: &str) -> String {
    let metadata = table.metadata();
    let by = metadata
        .chart
        .breakdown
        .as_deref()
        .filter(|b| *b != NATIONAL)
        .map_or(String::new(), |b| {
            format!(" by {}", dtto_model::format::lower_first(b))
        });
    let mut words = format!(
        "Bar chart of {}{by}, {when}.",
        dtto_model::format::lower_first(&metadata.title)
    );
    for (position, series) in plot.series.iter().enumerate() {
        let shown: Vec<(&String, f64)> = plot
            .categories
            .iter()
            .zip(&plot.bars)
            .filter_map(|(c, bars)| match bars[position] {
                Bar::Value { value, .. } => Some((c, value)),
                _ => None,
            })
            .collect();
        let prefix = if plot.series.len() > 1 {
            format!(" {series}:")
        } else {
            String::new()
        };
        let highest = shown.iter().max_by(|a, b| a.1.total_cmp(&b.1));
        let lowest = shown.iter().min_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some(high), Some(low)) = (highest, lowest) {
            words.push_str(&format!(
                "{prefix} highest {} ({}), lowest {} ({}).",
                high.0,
                label(plot.kind, high.1),
                low.0,
                label(plot.kind, low.1)
            ));
        }
    }
    let withheld = plot
        .bars
        .iter()
        .flatten()
        .filter(|b| matches!(b, Bar::Withheld))
        .count();
    if withheld > 0 {
        words.push_str(&format!(
            " {withheld} value{} withheld to protect confidentiality.",
            if withheld == 1 { " is" } else { "s are" }
        ));
    }
    words.push_str(&unreliable_words(&plot.bars));
    if plot.kind == TableKind::Rate {
        words.push_str(" Lines show 95% confidence intervals.");
    }
    words.push_str(" The figures are in the table that follows.");
    words
}

#[cfg(test)]
mod tests {
    use super::{
        Bar, TrendPoint, labelled_quarters, nice_ceiling, revised_words, start_up_words,
        trend_tick_step, unreliable_words,
    };
    use dtto_model::period::Period;

    #[test]
    fn the_count_axis_ends_on_a_round_number() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 8.0);
        assert_eq!(nice_ceiling(6140.0), 8000.0);
        assert_eq!(nice_ceiling(1104.0), 1200.0);
        assert_eq!(nice_ceiling(400.0), 400.0);
        assert_eq!(nice_ceiling(1.37), 1.6);
    }

    #[test]
    fn a_trend_within_ten_points_has_gridlines_every_two() {
        // 50% to 60%: 50, 52, 54, 56, 58, 60; 30% to 50%: every 5; 0% to
        // 40%: every 10.
        assert_eq!(trend_tick_step(10.0), 2.0);
        assert_eq!(trend_tick_step(20.0), 5.0);
        assert_eq!(trend_tick_step(40.0), 10.0);
    }

    #[test]
    fn revised_points_are_named_in_the_alt_text() {
        let quarter = |q: &str| q.parse().unwrap();
        assert_eq!(revised_words(&[]), "");
        assert_eq!(
            revised_words(&[quarter("2004Q4")]),
            " The figure for the year ending December 2004 is revised since the previous edition [r]."
        );
        assert_eq!(
            revised_words(&[quarter("2003Q1"), quarter("2003Q2"), quarter("2004Q4")]),
            " 3 figures, from the year ending March 2003 to the year ending December 2004, are revised since the previous edition [r]."
        );
    }

    #[test]
    fn bars_of_low_reliability_are_counted_in_words() {
        let value = |low_reliability| Bar::Value {
            value: 40.0,
            interval: Some((30.0, 50.0)),
            low_reliability,
        };
        assert_eq!(
            unreliable_words(&[vec![value(false)], vec![Bar::Withheld]]),
            ""
        );
        assert_eq!(
            unreliable_words(&[vec![value(true)], vec![value(false)]]),
            " 1 value is marked [u]: it rests on too few cases to be relied on."
        );
        assert_eq!(
            unreliable_words(&[vec![value(true), value(true)]]),
            " 2 values are marked [u]: they rest on too few cases to be relied on."
        );
    }

    #[test]
    fn the_first_four_points_are_named_as_start_up() {
        let point = |q: &str| (q.parse::<Period>().unwrap(), Some((50.0, 45.0, 55.0)));
        let four: Vec<TrendPoint> = ["2001Q3", "2001Q4", "2002Q1", "2002Q2"]
            .into_iter()
            .map(point)
            .collect();
        assert_eq!(start_up_words(&four), "");
        let mut five = four.clone();
        five.push(point("2002Q3"));
        assert_eq!(
            start_up_words(&five),
            " The first four points, to the year ending June 2002, count months of the first \
             year of the extract's Orders, a start-up period: read the trend after them."
        );
    }

    #[test]
    fn the_latest_quarter_and_every_fourth_before_it_are_labelled() {
        // 2001Q3 to 2005Q2, 16 quarters: 2002Q2, 2003Q2, 2004Q2, 2005Q2.
        assert_eq!(labelled_quarters(16), [3, 7, 11, 15]);
        // 2001Q3 to 2002Q3: 2001Q3, 2002Q3.
        assert_eq!(labelled_quarters(5), [0, 4]);
        assert_eq!(labelled_quarters(2), [1]);
    }
}
