//! Synthetic deliveries in the contract's exact format, calibrated at
//! scale 1 to the published facts (`calibration.rs`). Deterministic: the
//! same seed, scale and as_at give the same bytes.

mod calibration;
mod population;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ingest::CONTROL_FILE;
use crate::ingest::contract::ExtractFile;
use crate::ingest::control::ControlFile;
use crate::ingest::fields::{days_since_epoch, format_days};
use calibration as cal;
use population::{Order, Population, Tables, day_of, populate};

#[derive(Debug, Clone)]
pub struct GeneratorOptions {
    pub seed: u64,
    /// 1.0 gives about 30,000 Orders by 2005-03-31.
    pub scale: f64,
    pub as_at: NaiveDate,
}

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

/// Writes a delivery into `out` and returns its control file.
pub fn generate(options: &GeneratorOptions, out: &Path) -> Result<ControlFile, GenerateError> {
    if !(options.scale.is_finite() && options.scale > 0.0 && options.scale <= 1000.0) {
        return Err(GenerateError::Invalid(format!(
            "scale {} must be above 0 and at most 1000",
            options.scale
        )));
    }
    let as_at = days_since_epoch(options.as_at);
    let (y, m, d) = cal::ROLLOUT;
    if as_at < day_of(y, m, d) {
        return Err(GenerateError::Invalid(format!(
            "as_at {} is before the rollout began on {}",
            options.as_at,
            format_days(day_of(y, m, d))
        )));
    }
    std::fs::create_dir_all(out).map_err(|source| GenerateError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let tables = Tables::new();
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut population = populate(&mut rng, &tables, options.scale, as_at);
    let unplaced = unplaced_assessments(&mut rng, &tables, &mut population, as_at);
    let delivery = Delivery {
        population: &population,
        tables: &tables,
        as_at,
        seed: options.seed,
    };
    let mut rows = Vec::new();
    for (stream, file) in ExtractFile::ALL.into_iter().enumerate() {
        let path = out.join(format!("{}.csv", file.name()));
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        rng.set_stream(stream as u64 + 1);
        let mut csv = CsvFile::create(&path, file)?;
        match file {
            ExtractFile::Orders => delivery.orders(&mut csv),
            ExtractFile::Assessments => delivery.assessments(&mut rng, &unplaced, &mut csv),
            ExtractFile::DrugTests => delivery.drug_tests(&mut rng, &mut csv),
            ExtractFile::Reconvictions => {
                delivery.reconvictions(&mut rng, unplaced.len(), &mut csv)
            }
            ExtractFile::TreatmentEpisodes => delivery.treatment_episodes(&mut rng, &mut csv),
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
        supplier: format!(
            "Synthetic extract: dtto fixtures generate --seed {} --scale {} --as-at {}",
            options.seed, options.scale, options.as_at
        ),
        rows: rows.into_iter().collect(),
    };
    let path = out.join(CONTROL_FILE);
    std::fs::write(&path, control.to_toml())
        .map_err(|source| GenerateError::Io { path, source })?;
    Ok(control)
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

/// An assessment of someone never placed on an Order.
struct UnplacedAssessment {
    person: usize,
    area: usize,
    day: i32,
    suitable: bool,
}

/// People assessed and not placed, spread over time like the starts.
fn unplaced_assessments(
    rng: &mut impl Rng,
    tables: &Tables,
    population: &mut Population,
    as_at: i32,
) -> Vec<UnplacedAssessment> {
    let n = (population.orders.len() as f64 * cal::UNPLACED_ASSESSMENTS_PER_ORDER).round() as usize;
    let mut assessments = Vec::with_capacity(n);
    if population.orders.is_empty() {
        return assessments;
    }
    for _ in 0..n {
        let anchor = &population.orders[rng.random_range(0..population.orders.len())];
        let day = (anchor.sentence - rng.random_range(0..=42)).min(as_at);
        population.people.push(tables.unplaced_person(rng, day));
        assessments.push(UnplacedAssessment {
            person: population.people.len() - 1,
            area: anchor.area,
            day,
            suitable: rng.random_bool(cal::UNPLACED_SUITABLE_SHARE),
        });
    }
    assessments
}

struct Delivery<'a> {
    population: &'a Population,
    tables: &'a Tables,
    as_at: i32,
    seed: u64,
}

impl Delivery<'_> {
    /// A pseudonym, unique per person: an odd multiplier is a bijection
    /// modulo 2^40, and so is the xor.
    fn person_id(&self, person: usize) -> String {
        const MASK: u64 = (1 << 40) - 1;
        let mixed = (person as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ self.seed.wrapping_mul(0xD6E8_FEB8_6659_FD93);
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

    fn orders(&self, csv: &mut CsvFile) -> std::io::Result<()> {
        for (i, o) in self.population.orders.iter().enumerate() {
            let p = &self.population.people[o.person];
            let (termination_date, reason) = if o.end <= self.as_at {
                (format_days(o.end), o.reason)
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
                p.sex,
                p.ethnicity,
                p.mental_health,
                o.primary_drug,
                o.accommodation,
                if o.motivation_group { "Y" } else { "N" },
            ))?;
        }
        Ok(())
    }

    fn assessments(
        &self,
        rng: &mut impl Rng,
        unplaced: &[UnplacedAssessment],
        csv: &mut CsvFile,
    ) -> std::io::Result<()> {
        // Each Order was preceded by an assessment that found the person
        // suitable.
        let mut all: Vec<(i32, usize, usize, bool)> = self
            .population
            .orders
            .iter()
            .map(|o| {
                (
                    o.sentence - rng.random_range(7..=42),
                    o.person,
                    o.area,
                    true,
                )
            })
            .chain(
                unplaced
                    .iter()
                    .map(|u| (u.day, u.person, u.area, u.suitable)),
            )
            .collect();
        all.sort_unstable();
        for (i, (day, person, area, suitable)) in all.into_iter().enumerate() {
            let p = &self.population.people[person];
            csv.row(format_args!(
                "A{:08},{},{},{},{},{},{},{},{}",
                i + 1,
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

    fn drug_tests(&self, rng: &mut impl Rng, csv: &mut CsvFile) -> std::io::Result<()> {
        let dates = DateText::new(day_of(2000, 1, 1), self.as_at);
        let mut test = 0u64;
        for (i, o) in self.population.orders.iter().enumerate() {
            let order_id = Self::order_id(i);
            let (opiates, cocaine) = cal::early_positive(o.primary_drug);
            let fall = if o.completed() {
                cal::POSITIVE_FALL_COMPLETING
            } else {
                cal::POSITIVE_FALL_OTHERS
            };
            let last = o.end.min(self.as_at);
            let mut day = o.commencement + rng.random_range(0..4);
            let mut occasion = 0;
            while day <= last {
                if !rng.random_bool(cal::MISSED_TEST_SHARE) {
                    let progress = (f64::from(day - o.commencement) / 182.0).min(1.0);
                    for (substance, early) in [("opiates", opiates), ("cocaine", cocaine)] {
                        let u: f64 = rng.random();
                        let result = if u < cal::REFUSED_SHARE {
                            "refused"
                        } else if u < cal::REFUSED_SHARE + cal::INVALID_SHARE {
                            "invalid"
                        } else if rng.random_bool(early * (1.0 - fall * progress)) {
                            "positive"
                        } else {
                            "negative"
                        };
                        test += 1;
                        csv.row(format_args!(
                            "T{test:09},{order_id},{},{substance},{result}",
                            dates.get(day)
                        ))?;
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
        }
        Ok(())
    }

    fn reconvictions(
        &self,
        rng: &mut impl Rng,
        unplaced: usize,
        csv: &mut CsvFile,
    ) -> std::io::Result<()> {
        let orders = &self.population.orders;
        let next_order = next_order_of_same_person(orders);
        let mut seen_person = vec![false; self.population.people.len()];
        for (i, o) in orders.iter().enumerate() {
            if !seen_person[o.person] {
                seen_person[o.person] = true;
                for _ in 0..rng.random_range(0..=4) {
                    let day = o.commencement - rng.random_range(30..1500);
                    self.offence_convicted_later(csv, rng, o.person, day)?;
                }
            }
            if o.reason == "revoked_new_offence" && o.end <= self.as_at {
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
                continue;
            }
            let until = next_order[i].unwrap_or(i32::MAX).min(o.commencement + 1500);
            let mut day = o.commencement + 1 + (rng.random::<f64>().powf(1.7) * 729.0) as i32;
            while day < until && day <= self.as_at {
                self.offence_convicted_later(csv, rng, o.person, day)?;
                day += 20 + exponential(rng, 150.0);
            }
        }
        // People never on an Order appear too, and are ignored by the
        // measures.
        let first_unplaced = self.population.people.len() - unplaced;
        for person in first_unplaced..self.population.people.len() {
            if rng.random_bool(0.5) {
                let day = self.population.people[person].age_on - rng.random_range(0..700);
                self.offence_convicted_later(csv, rng, person, day)?;
            }
        }
        Ok(())
    }

    /// A proven offence, if convicted by as_at: later ones are not in the
    /// police records yet.
    fn offence(
        &self,
        csv: &mut CsvFile,
        rng: &mut impl Rng,
        person: usize,
        day: i32,
        convicted: i32,
    ) -> std::io::Result<()> {
        if convicted > self.as_at {
            return Ok(());
        }
        csv.row(format_args!(
            "{},{},{},{}",
            self.person_id(person),
            format_days(day),
            format_days(convicted),
            self.tables.offence_group.pick(rng)
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

    fn treatment_episodes(&self, rng: &mut impl Rng, csv: &mut CsvFile) -> std::io::Result<()> {
        let mut seen_person = vec![false; self.population.people.len()];
        let episode = |csv: &mut CsvFile, person: usize, day: i32, setting: &str| {
            if day > self.as_at {
                return Ok(());
            }
            csv.row(format_args!(
                "{},{},{setting}",
                self.person_id(person),
                format_days(day)
            ))
        };
        for o in &self.population.orders {
            if !seen_person[o.person] {
                seen_person[o.person] = true;
                if rng.random_bool(0.3) {
                    episode(
                        csv,
                        o.person,
                        o.commencement - rng.random_range(30..700),
                        "community",
                    )?;
                }
            }
            if o.end > self.as_at
                || o.reason == "died"
                || !rng.random_bool(cal::continuity_share(o.reason))
            {
                continue;
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
            episode(csv, o.person, day, setting)?;
        }
        Ok(())
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
        };
        let tables = Tables::new();
        let delivery = Delivery {
            population: &population,
            tables: &tables,
            as_at: 0,
            seed: 7,
        };
        let mut ids: Vec<String> = (0..100_000).map(|p| delivery.person_id(p)).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 100_000);
    }
}
