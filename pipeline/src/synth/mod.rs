//! Synthetic deliveries in the contract's exact format, calibrated at
//! scale 1 to the published facts (`calibration.rs`). Deterministic: the
//! same arguments give the same bytes.
//!
//! A delivery is what the supplier had recorded by its as_at about one
//! population (`population.rs`), which the seed and scale alone decide.
//! Every record carries a date (an assessment, a drug test, a conviction,
//! a treatment start, a termination); most are recorded on that day, a
//! share (`Recording::late_share`) 1 to `MAX_DELAY_DAYS` days later, and a
//! delivery holds a record once it is recorded. Orders are recorded when
//! they commence. So the delivery as at a later date holds every record an
//! earlier one held, those dated after the earlier as_at, and the late
//! ones dated before it. (A person's police and treatment records are
//! matched from their first assessment: someone first assessed between
//! the two brings records of before the earlier as_at too, not late ones.)
//! Nothing drawn depends on the as_at (`streams.rs`), only what is held.
//! A delivery that follows another (`Follows`) also corrects some fields
//! of the Orders that one held (`corrections.rs`).

mod calibration;
mod corrections;
mod population;
mod streams;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rand::Rng;

use crate::ingest::CONTROL_FILE;
use crate::ingest::contract::ExtractFile;
use crate::ingest::control::ControlFile;
use crate::ingest::fields::{days_since_epoch, format_days};
use calibration as cal;
use corrections::{Correctable, Corrections, Field};
use population::{Order, Population, Tables, day_of, horizon, populate};
use streams::{Purpose, stream};

#[derive(Debug, Clone)]
pub struct GeneratorOptions {
    pub seed: u64,
    /// 1.0 gives about 30,000 Orders by 2005-03-31.
    pub scale: f64,
    pub as_at: NaiveDate,
}

/// How the supplier records, and which delivery this one follows.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The share of dated records recorded late. Part of the population,
    /// like the seed: a delivery and the one that follows it take the
    /// same.
    pub late_share: f64,
    pub follows: Option<Follows>,
}

impl Default for Recording {
    fn default() -> Self {
        Recording {
            late_share: DEFAULT_LATE_SHARE,
            follows: None,
        }
    }
}

/// The delivery this one follows: the one generated with the same seed,
/// scale and late share as at `after`.
#[derive(Debug, Clone)]
pub struct Follows {
    pub after: NaiveDate,
    /// How many fields of that delivery's Orders this one corrects.
    pub corrections: usize,
}

pub const DEFAULT_LATE_SHARE: f64 = 0.02;
pub const DEFAULT_CORRECTIONS: usize = 25;
/// The longest a late record waits: 90 days, the shortest quarter, so a
/// delivery holds every record dated by the as_at of the one a quarter
/// before it.
pub const MAX_DELAY_DAYS: i32 = 90;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes a delivery into `out`, recorded as by default, and returns its
/// control file.
pub fn generate(options: &GeneratorOptions, out: &Path) -> Result<ControlFile, GenerateError> {
    generate_with(options, &Recording::default(), out)
}

/// Writes a delivery into `out` and returns its control file.
pub fn generate_with(
    options: &GeneratorOptions,
    recording: &Recording,
    out: &Path,
) -> Result<ControlFile, GenerateError> {
    validate(options, recording)?;
    let as_at = days_since_epoch(options.as_at);
    let tables = Tables::new();
    let population = populate(options.seed, &tables, options.scale, horizon(as_at));
    let recorder = Recorder {
        seed: options.seed,
        late_share: recording.late_share,
    };
    let corrections = match &recording.follows {
        Some(follows) => correct(&recorder, &population, follows)?,
        None => Corrections::default(),
    };
    std::fs::create_dir_all(out).map_err(|source| GenerateError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let delivery = Delivery {
        population: &population,
        tables: &tables,
        recorder,
        corrections: &corrections,
        as_at,
    };
    let mut rows = Vec::new();
    for file in ExtractFile::ALL {
        let path = out.join(format!("{}.csv", file.name()));
        let mut csv = CsvFile::create(&path, file)?;
        match file {
            ExtractFile::Orders => delivery.orders(&mut csv),
            ExtractFile::Assessments => delivery.assessments(&mut csv),
            ExtractFile::DrugTests => delivery.drug_tests(&mut csv),
            ExtractFile::Reconvictions => delivery.reconvictions(&mut csv),
            ExtractFile::TreatmentEpisodes => delivery.treatment_episodes(&mut csv),
        }
        .map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
        rows.push((
            file,
            csv.finish()
                .map_err(|source| GenerateError::Io { path, source })?,
        ));
    }
    let control = ControlFile {
        as_at: options.as_at,
        supplier: supplier(options, recording),
        rows: rows.into_iter().collect(),
    };
    let path = out.join(CONTROL_FILE);
    std::fs::write(&path, control.to_toml())
        .map_err(|source| GenerateError::Io { path, source })?;
    Ok(control)
}

fn validate(options: &GeneratorOptions, recording: &Recording) -> Result<(), GenerateError> {
    let invalid = |message: String| Err(GenerateError::Invalid(message));
    if !(options.scale.is_finite() && options.scale > 0.0 && options.scale <= 1000.0) {
        return invalid(format!(
            "scale {} must be above 0 and at most 1000",
            options.scale
        ));
    }
    if !(0.0..=1.0).contains(&recording.late_share) {
        return invalid(format!(
            "late share {} must be from 0 to 1",
            recording.late_share
        ));
    }
    let (y, m, d) = cal::ROLLOUT;
    let rollout = day_of(y, m, d);
    if days_since_epoch(options.as_at) < rollout {
        return invalid(format!(
            "as_at {} is before the rollout began on {}",
            options.as_at,
            format_days(rollout)
        ));
    }
    let Some(follows) = &recording.follows else {
        return Ok(());
    };
    if follows.after >= options.as_at {
        return invalid(format!(
            "the delivery followed, as at {}, must be earlier than this one, as at {}",
            follows.after, options.as_at
        ));
    }
    if days_since_epoch(follows.after) < rollout {
        return invalid(format!(
            "there is no delivery as at {} to follow: the rollout began on {}",
            follows.after,
            format_days(rollout)
        ));
    }
    Ok(())
}

/// The command that writes this delivery, for the control file.
fn supplier(options: &GeneratorOptions, recording: &Recording) -> String {
    let mut supplier = format!(
        "Synthetic extract: dtto fixtures generate --seed {} --scale {} --as-at {} --late-share {}",
        options.seed, options.scale, options.as_at, recording.late_share
    );
    if let Some(follows) = &recording.follows {
        supplier.push_str(&format!(
            " --after {} --corrections {}",
            follows.after, follows.corrections
        ));
    }
    supplier
}

/// The fields this delivery corrects of the Orders the one it follows
/// held.
fn correct(
    recorder: &Recorder,
    population: &Population,
    follows: &Follows,
) -> Result<Corrections, GenerateError> {
    let after = days_since_epoch(follows.after);
    let orders = held_orders(population, after);
    let revoked = orders
        .iter()
        .enumerate()
        .filter(|(i, o)| {
            o.reason.starts_with("revoked") && recorder.termination_recorded(*i, o.end) <= after
        })
        .map(|(i, _)| i)
        .collect();
    let correctable = Correctable {
        orders: orders.len(),
        revoked,
    };
    let mut rng = stream(recorder.seed, Purpose::Corrections, 0);
    Corrections::choose(&mut rng, population, &correctable, follows.corrections)
        .map_err(GenerateError::Invalid)
}

/// The Orders commenced by `as_at`: the first ones, in commencement order.
fn held_orders(population: &Population, as_at: i32) -> &[Order] {
    let held = population
        .orders
        .partition_point(|o| o.commencement <= as_at);
    &population.orders[..held]
}

/// When records reach the supplier's system. Draws the same numbers
/// whatever the as_at: only what is held depends on it.
struct Recorder {
    seed: u64,
    late_share: f64,
}

impl Recorder {
    /// The day a record dated `day` is recorded: that day, or for a share
    /// of records 1 to MAX_DELAY_DAYS days later.
    fn recorded(&self, rng: &mut impl Rng, day: i32) -> i32 {
        if rng.random_bool(self.late_share) {
            day + rng.random_range(1..=MAX_DELAY_DAYS)
        } else {
            day
        }
    }

    /// The day the termination of Order `order`, ending on `end`, is
    /// recorded.
    fn termination_recorded(&self, order: usize, end: i32) -> i32 {
        self.recorded(
            &mut stream(self.seed, Purpose::Terminations, order as u64),
            end,
        )
    }
}

/// A data file being written, counting its rows.
struct CsvFile {
    out: BufWriter<File>,
    rows: u64,
}

impl CsvFile {
    fn create(path: &Path, file: ExtractFile) -> Result<Self, GenerateError> {
        let io = |source| GenerateError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(io)?);
        let header: Vec<&str> = file.columns().iter().map(|c| c.name).collect();
        writeln!(out, "{}", header.join(",")).map_err(io)?;
        Ok(CsvFile { out, rows: 0 })
    }

    /// One row; the generator writes only values that need no quoting.
    fn row(&mut self, fields: std::fmt::Arguments) -> std::io::Result<()> {
        self.rows += 1;
        self.out.write_fmt(fields)?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self) -> std::io::Result<u64> {
        self.out.flush()?;
        Ok(self.rows)
    }
}

struct Delivery<'a> {
    population: &'a Population,
    tables: &'a Tables,
    recorder: Recorder,
    corrections: &'a Corrections,
    as_at: i32,
}

impl Delivery<'_> {
    /// A pseudonym, unique per person: an odd multiplier is a bijection
    /// modulo 2^40, and so is the xor.
    fn person_id(&self, person: usize) -> String {
        const MASK: u64 = (1 << 40) - 1;
        let mixed = (person as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ self.recorder.seed.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        format!("P{:010X}", mixed & MASK)
    }

    fn order_id(index: usize) -> String {
        format!("DT{:08}", index + 1)
    }

    fn age(&self, person: usize, day: i32) -> String {
        self.population.people[person]
            .age_at(day)
            .map_or_else(String::new, |a| a.to_string())
    }

    /// The stream of `purpose` for item `item`.
    fn stream(&self, purpose: Purpose, item: usize) -> rand_chacha::ChaCha8Rng {
        stream(self.recorder.seed, purpose, item as u64)
    }

    /// Whether a record dated `day` is recorded by as_at.
    fn held(&self, rng: &mut impl Rng, day: i32) -> bool {
        self.recorder.recorded(rng, day) <= self.as_at
    }

    /// Whether the police and treatment records of `person` are in the
    /// delivery: the supplier matches them from their first assessment.
    fn matched(&self, person: usize) -> bool {
        self.population.people[person].assessed <= self.as_at
    }

    fn orders(&self, csv: &mut CsvFile) -> std::io::Result<()> {
        for (i, o) in held_orders(self.population, self.as_at).iter().enumerate() {
            let p = &self.population.people[o.person];
            let (termination_date, reason) =
                if self.recorder.termination_recorded(i, o.end) <= self.as_at {
                    let reason = self
                        .corrections
                        .value(i, Field::TerminationReason, o.reason);
                    (format_days(o.end), reason)
                } else {
                    (String::new(), "")
                };
            csv.row(format_args!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                Self::order_id(i),
                self.person_id(o.person),
                cal::AREAS[o.area].0,
                if o.crown_court {
                    "crown"
                } else {
                    "magistrates"
                },
                if o.low_intensity {
                    "low_intensity"
                } else {
                    "standard"
                },
                format_days(o.sentence),
                format_days(o.commencement),
                o.length_months,
                termination_date,
                reason,
                self.age(o.person, o.commencement),
                self.corrections.value(i, Field::Sex, p.sex),
                self.corrections.value(i, Field::Ethnicity, p.ethnicity),
                p.mental_health,
                o.primary_drug,
                o.accommodation,
                if o.motivation_group { "Y" } else { "N" },
            ))?;
        }
        Ok(())
    }

    /// Each Order's assessment that found the person suitable, and those
    /// of people never placed, in date order. An id names the Order and
    /// whether it is the Order's own (0) or one made beside it (1), so it
    /// is the same in every delivery.
    fn assessments(&self, csv: &mut CsvFile) -> std::io::Result<()> {
        let population = self.population;
        let own = population.orders.iter().enumerate().map(|(i, o)| {
            let held = self.held(&mut self.stream(Purpose::Assessments, i), o.assessed);
            (o.assessed, i, 0, o.person, o.area, true, held)
        });
        let unplaced = population.unplaced.iter().enumerate().map(|(i, u)| {
            let held = self.held(&mut self.stream(Purpose::UnplacedAssessments, i), u.day);
            (u.day, u.anchor, 1, u.person, u.area, u.suitable, held)
        });
        let mut held: Vec<_> = own.chain(unplaced).filter(|a| a.6).collect();
        held.sort_unstable();
        for (day, anchor, beside, person, area, suitable, _) in held {
            let p = &population.people[person];
            csv.row(format_args!(
                "A{:08}{beside},{},{},{},{},{},{},{},{}",
                anchor + 1,
                self.person_id(person),
                cal::AREAS[area].0,
                format_days(day),
                self.age(person, day),
                p.sex,
                p.ethnicity,
                p.mental_health,
                if suitable { "suitable" } else { "unsuitable" },
            ))?;
        }
        Ok(())
    }

    fn drug_tests(&self, csv: &mut CsvFile) -> std::io::Result<()> {
        let dates = DateText::new(day_of(2000, 1, 1), self.as_at);
        for (i, o) in held_orders(self.population, self.as_at).iter().enumerate() {
            self.tests_of(csv, &dates, i, o)?;
        }
        Ok(())
    }

    /// An Order's tests to its end or as_at: twice weekly at first, then
    /// weekly, some missed. A test's id is its Order's number and its
    /// number within the Order (below 1,000: 36 months of tests make
    /// about 340), counting those not yet recorded, so it is the same in
    /// every delivery. The two results of one sample are recorded together.
    fn tests_of(
        &self,
        csv: &mut CsvFile,
        dates: &DateText,
        i: usize,
        o: &Order,
    ) -> std::io::Result<()> {
        let mut rng = self.stream(Purpose::DrugTests, i);
        let order_id = Self::order_id(i);
        let test_of_order = format!("T{:08}", i + 1);
        let (opiates, cocaine) = cal::early_positive(o.primary_drug);
        let fall = if o.completed() {
            cal::POSITIVE_FALL_COMPLETING
        } else {
            cal::POSITIVE_FALL_OTHERS
        };
        let last = o.end.min(self.as_at);
        let mut day = o.commencement + rng.random_range(0..4);
        let (mut occasion, mut taken) = (0, 0);
        while day <= last {
            if !rng.random_bool(cal::MISSED_TEST_SHARE) {
                let progress = (f64::from(day - o.commencement) / 182.0).min(1.0);
                let results =
                    [("opiates", opiates), ("cocaine", cocaine)].map(|(substance, early)| {
                        (substance, result(&mut rng, early * (1.0 - fall * progress)))
                    });
                let held = self.held(&mut rng, day);
                for (substance, result) in results {
                    taken += 1;
                    if held {
                        csv.row(format_args!(
                            "{test_of_order}{taken:03},{order_id},{},{substance},{result}",
                            dates.get(day)
                        ))?;
                    }
                }
            }
            occasion += 1;
            day += match (
                day - o.commencement < cal::INTENSIVE_TESTING_DAYS,
                occasion % 2,
            ) {
                (true, 0) => 3,
                (true, _) => 4,
                (false, _) => 7,
            };
        }
        Ok(())
    }

    fn reconvictions(&self, csv: &mut CsvFile) -> std::io::Result<()> {
        let orders = &self.population.orders;
        let next_order = next_order_of_same_person(orders);
        let mut seen_person = vec![false; self.population.people.len()];
        for (i, o) in orders.iter().enumerate() {
            if !self.matched(o.person) {
                continue;
            }
            let mut rng = self.stream(Purpose::Reconvictions, i);
            if !seen_person[o.person] {
                seen_person[o.person] = true;
                for _ in 0..rng.random_range(0..=4) {
                    let day = o.commencement - rng.random_range(30..1500);
                    self.offence_convicted_later(csv, &mut rng, o.person, day)?;
                }
            }
            // What follows the commencement cannot be held before it: the
            // rest of this Order's stream is left undrawn.
            if o.commencement <= self.as_at {
                self.offences_on_order(csv, &mut rng, o, next_order[i])?;
            }
        }
        // People never on an Order appear too, and are ignored by the
        // measures.
        for (i, u) in self.population.unplaced.iter().enumerate() {
            if !self.matched(u.person) {
                continue;
            }
            let mut rng = self.stream(Purpose::UnplacedReconvictions, i);
            if rng.random_bool(0.5) {
                let day = u.day - rng.random_range(0..700);
                self.offence_convicted_later(csv, &mut rng, u.person, day)?;
            }
        }
        Ok(())
    }

    /// The offence that got an Order revoked, if one did, and reoffending
    /// from its commencement until the person's next Order.
    fn offences_on_order(
        &self,
        csv: &mut CsvFile,
        rng: &mut impl Rng,
        o: &Order,
        next_order: Option<i32>,
    ) -> std::io::Result<()> {
        if o.reason == "revoked_new_offence" {
            let day = (o.end - rng.random_range(14..60)).max(o.commencement + 1);
            self.offence(csv, rng, o.person, day, o.end)?;
        }
        let reoffends = match o.reason {
            "completed" | "early_good_progress" => cal::REOFFEND_COMPLETED,
            "died" => 0.0,
            r if r.starts_with("revoked") => cal::REOFFEND_REVOKED,
            _ => cal::REOFFEND_OTHER,
        };
        if !rng.random_bool(reoffends) {
            return Ok(());
        }
        let until = next_order.unwrap_or(i32::MAX).min(o.commencement + 1500);
        let mut day = o.commencement + 1 + (rng.random::<f64>().powf(1.7) * 729.0) as i32;
        while day < until && day <= self.as_at {
            self.offence_convicted_later(csv, rng, o.person, day)?;
            day += 20 + exponential(rng, 150.0);
        }
        Ok(())
    }

    /// A proven offence, if its conviction is recorded by as_at. Drawn in
    /// full either way, so that what follows in the stream is the same in
    /// every delivery.
    fn offence(
        &self,
        csv: &mut CsvFile,
        rng: &mut impl Rng,
        person: usize,
        day: i32,
        convicted: i32,
    ) -> std::io::Result<()> {
        let group = self.tables.offence_group.pick(rng);
        if !self.held(rng, convicted) {
            return Ok(());
        }
        csv.row(format_args!(
            "{},{},{},{group}",
            self.person_id(person),
            format_days(day),
            format_days(convicted),
        ))
    }

    fn offence_convicted_later(
        &self,
        csv: &mut CsvFile,
        rng: &mut impl Rng,
        person: usize,
        day: i32,
    ) -> std::io::Result<()> {
        let convicted = day + conviction_lag(rng);
        self.offence(csv, rng, person, day, convicted)
    }

    fn treatment_episodes(&self, csv: &mut CsvFile) -> std::io::Result<()> {
        let mut seen_person = vec![false; self.population.people.len()];
        for (i, o) in self.population.orders.iter().enumerate() {
            if !self.matched(o.person) {
                continue;
            }
            let mut rng = self.stream(Purpose::TreatmentEpisodes, i);
            if !seen_person[o.person] {
                seen_person[o.person] = true;
                if rng.random_bool(0.3) {
                    let day = o.commencement - rng.random_range(30..700);
                    self.episode(csv, &mut rng, o.person, day, "community")?;
                }
            }
            // Treatment after an end past as_at cannot be held: the rest
            // of this Order's stream is left undrawn.
            if o.end <= self.as_at && o.reason != "died" {
                self.treatment_after(csv, &mut rng, o)?;
            }
        }
        Ok(())
    }

    /// Treatment starting soon after an Order ends, for some.
    fn treatment_after(
        &self,
        csv: &mut CsvFile,
        rng: &mut impl Rng,
        o: &Order,
    ) -> std::io::Result<()> {
        if !rng.random_bool(cal::continuity_share(o.reason)) {
            return Ok(());
        }
        let day = if rng.random_bool(0.85) {
            o.end + rng.random_range(0..=21)
        } else {
            o.end + rng.random_range(22..=120)
        };
        let setting = if o.reason == "revoked_new_offence" && rng.random_bool(0.6) {
            "prison"
        } else if rng.random_bool(0.12) {
            "residential"
        } else {
            "community"
        };
        self.episode(csv, rng, o.person, day, setting)
    }

    fn episode(
        &self,
        csv: &mut CsvFile,
        rng: &mut impl Rng,
        person: usize,
        day: i32,
        setting: &str,
    ) -> std::io::Result<()> {
        if !self.held(rng, day) {
            return Ok(());
        }
        csv.row(format_args!(
            "{},{},{setting}",
            self.person_id(person),
            format_days(day)
        ))
    }
}

/// A drug test's result, `positive` with the chance given unless the
/// sample was refused or invalid.
fn result(rng: &mut impl Rng, positive: f64) -> &'static str {
    let u: f64 = rng.random();
    if u < cal::REFUSED_SHARE {
        "refused"
    } else if u < cal::REFUSED_SHARE + cal::INVALID_SHARE {
        "invalid"
    } else if rng.random_bool(positive) {
        "positive"
    } else {
        "negative"
    }
}

/// For each Order, the commencement of the same person's next Order.
fn next_order_of_same_person(orders: &[Order]) -> Vec<Option<i32>> {
    let mut next = vec![None; orders.len()];
    let mut later: std::collections::HashMap<usize, i32> = std::collections::HashMap::new();
    for (i, o) in orders.iter().enumerate().rev() {
        next[i] = later.get(&o.person).copied();
        later.insert(o.person, o.commencement);
    }
    next
}

/// Days from offence to conviction: mostly within the six-month waiting
/// period, not all.
fn conviction_lag(rng: &mut (impl Rng + ?Sized)) -> i32 {
    10 + exponential(rng, 55.0)
}

fn exponential(rng: &mut (impl Rng + ?Sized), mean: f64) -> i32 {
    let u: f64 = rng.random();
    (-mean * (1.0 - u).ln()) as i32
}

/// Dates as text, formatted once: the drug tests need tens of millions.
struct DateText {
    first: i32,
    text: Vec<String>,
}

impl DateText {
    fn new(first: i32, last: i32) -> Self {
        DateText {
            first,
            text: (first..=last).map(format_days).collect(),
        }
    }

    fn get(&self, day: i32) -> std::borrow::Cow<'_, str> {
        usize::try_from(day - self.first)
            .ok()
            .and_then(|i| self.text.get(i))
            .map_or_else(|| format_days(day).into(), |t| t.as_str().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_unique() {
        let population = Population {
            people: Vec::new(),
            orders: Vec::new(),
            unplaced: Vec::new(),
        };
        let tables = Tables::new();
        let delivery = Delivery {
            population: &population,
            tables: &tables,
            recorder: Recorder {
                seed: 7,
                late_share: 0.0,
            },
            corrections: &Corrections::default(),
            as_at: 0,
        };
        let mut ids: Vec<String> = (0..100_000).map(|p| delivery.person_id(p)).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 100_000);
    }
}
