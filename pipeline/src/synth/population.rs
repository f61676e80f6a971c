//! The people and Orders of a synthetic delivery, with their true
//! outcomes. What the extract shows of them (an Order still running at
//! as_at has no termination yet) is decided when the files are written.
//! The population is drawn up to a horizon past the as_at, and drawn so
//! that what it holds up to any day is the same whatever the horizon: a
//! later delivery has the same people and Orders as an earlier one.

use chrono::{Datelike, Months, NaiveDate};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;

use super::calibration as cal;
use super::streams::{Purpose, stream};
use crate::ingest::fields::{date_from_days, days_since_epoch};

/// Picks from a fixed table by weight.
pub struct Choice<T: Copy> {
    items: Vec<T>,
    index: WeightedIndex<f64>,
}

impl<T: Copy> Choice<T> {
    pub fn new(table: &[(T, f64)]) -> Self {
        let weights = table.iter().map(|(_, w)| *w);
        Choice {
            items: table.iter().map(|(item, _)| *item).collect(),
            // The tables are constants with positive weights.
            index: WeightedIndex::new(weights).expect("calibration weights are positive"),
        }
    }

    pub fn pick(&self, rng: &mut impl Rng) -> T {
        self.items[self.index.sample(rng)]
    }
}

pub struct Person {
    pub sex: &'static str,
    pub ethnicity: &'static str,
    pub mental_health: &'static str,
    /// Age at `age_on`, if known.
    pub age: Option<i32>,
    pub age_on: i32,
    /// The day of their first assessment: from then on the supplier
    /// matches them to the police and treatment records.
    pub assessed: i32,
}

impl Person {
    pub fn age_at(&self, day: i32) -> Option<i32> {
        self.age.map(|a| a + (day - self.age_on).max(0) / 365)
    }
}

pub struct Order {
    pub person: usize,
    pub area: usize,
    pub crown_court: bool,
    pub low_intensity: bool,
    /// The assessment that found the person suitable.
    pub assessed: i32,
    pub sentence: i32,
    pub commencement: i32,
    pub length_months: u32,
    pub primary_drug: &'static str,
    pub accommodation: &'static str,
    pub motivation_group: bool,
    /// How and when the Order ends, which may be after as_at.
    pub reason: &'static str,
    pub end: i32,
}

impl Order {
    pub fn completed(&self) -> bool {
        matches!(self.reason, "completed" | "early_good_progress")
    }
}

/// An assessment of someone never placed on an Order, made about when
/// an Order (its anchor) was.
pub struct UnplacedAssessment {
    pub anchor: usize,
    pub person: usize,
    pub area: usize,
    pub day: i32,
    pub suitable: bool,
}

pub struct Population {
    pub people: Vec<Person>,
    /// In commencement order.
    pub orders: Vec<Order>,
    /// In the order of their anchors, at most one per Order.
    pub unplaced: Vec<UnplacedAssessment>,
}

/// Days from sentence back to the assessment, at most.
const ASSESSMENT_LEAD_DAYS: i32 = 42;
/// Days from commencement back to the sentence, at most.
const SENTENCE_LEAD_DAYS: i32 = 14;

/// The last day whose Orders a delivery as at `as_at` needs: any later
/// Order and the assessments made beside it are after as_at.
pub fn horizon(as_at: i32) -> i32 {
    as_at + SENTENCE_LEAD_DAYS + ASSESSMENT_LEAD_DAYS
}

/// People and Orders from the rollout to `horizon`. Each financial
/// year's starts come from a stream of their own, and the Orders are then
/// drawn in commencement order from one stream: a later horizon adds
/// Orders after those of an earlier one and changes none of them.
pub fn populate(seed: u64, tables: &Tables, scale: f64, horizon: i32) -> Population {
    let starts = start_schedule(seed, scale, horizon);
    let mut rng = stream(seed, Purpose::Population, 0);
    let areas = Choice::new(
        &cal::AREAS
            .iter()
            .enumerate()
            .map(|(i, (_, weight, _))| (i, *weight))
            .collect::<Vec<_>>(),
    );
    let mut population = Population {
        people: Vec::new(),
        orders: Vec::with_capacity(starts.len()),
        unplaced: Vec::new(),
    };
    // Per area, people whose last Order has ended: (free from, person).
    let mut returning: Vec<Vec<(i32, usize)>> = vec![Vec::new(); cal::AREAS.len()];
    for (commencement, low_intensity) in starts {
        let area = areas.pick(&mut rng);
        let people = &mut population.people;
        let returner = pick_returning(&mut rng, &mut returning[area], commencement);
        let person = returner.unwrap_or_else(|| {
            people.push(tables.person(&mut rng, commencement));
            people.len() - 1
        });
        let order = tables.order(
            &mut rng,
            &people[person],
            person,
            area,
            commencement,
            low_intensity,
        );
        if returner.is_none() {
            people[person].assessed = order.assessed;
        }
        returning[area].push((order.end + 60, person));
        population.orders.push(order);
        add_unplaced(&mut rng, tables, &mut population);
    }
    population
}

/// Now and then, beside the Order just drawn, someone assessed in the same
/// area and never placed: about UNPLACED_ASSESSMENTS_PER_ORDER per Order.
fn add_unplaced(rng: &mut impl Rng, tables: &Tables, population: &mut Population) {
    if !rng.random_bool(cal::UNPLACED_ASSESSMENTS_PER_ORDER) {
        return;
    }
    let anchor = population.orders.len() - 1;
    let order = &population.orders[anchor];
    let day = order.sentence - rng.random_range(0..=ASSESSMENT_LEAD_DAYS);
    let area = order.area;
    population.people.push(tables.unplaced_person(rng, day));
    population.unplaced.push(UnplacedAssessment {
        anchor,
        person: population.people.len() - 1,
        area,
        day,
        suitable: rng.random_bool(cal::UNPLACED_SUITABLE_SHARE),
    });
}

fn pick_returning(rng: &mut impl Rng, pool: &mut Vec<(i32, usize)>, day: i32) -> Option<usize> {
    if pool.is_empty() || !rng.random_bool(cal::REPEAT_ORDER_SHARE) {
        return None;
    }
    let at = rng.random_range(0..pool.len());
    if pool[at].0 > day {
        return None;
    }
    Some(pool.swap_remove(at).1)
}

/// Commencement days in order, each marked low-intensity or not, of the
/// financial years that begin by `horizon`. A year is drawn whole or not
/// at all, from a stream of its own, so the days up to any date are the
/// same whatever the horizon.
fn start_schedule(seed: u64, scale: f64, horizon: i32) -> Vec<(i32, bool)> {
    let (y, m, d) = cal::ROLLOUT;
    let rollout = day_of(y, m, d);
    let mut starts = Vec::new();
    let last_listed = cal::STARTS_BY_FINANCIAL_YEAR.len() - 1;
    for year in cal::ROLLOUT.0.. {
        let year_start = day_of(year, 4, 1).max(rollout);
        if year_start > horizon {
            break;
        }
        let year_end = day_of(year + 1, 3, 31);
        let listed = cal::STARTS_BY_FINANCIAL_YEAR
            .iter()
            .find(|(y, ..)| *y == year)
            .unwrap_or(&cal::STARTS_BY_FINANCIAL_YEAR[last_listed]);
        let mut rng = stream(seed, Purpose::Schedule, u64::from(year.unsigned_abs()));
        for (count, low_intensity) in [(listed.1, false), (listed.2, true)] {
            let n = (f64::from(count) * scale).round() as u64;
            for _ in 0..n {
                starts.push((rng.random_range(year_start..=year_end), low_intensity));
            }
        }
    }
    starts.sort_unstable();
    starts
}

pub fn day_of(year: i32, month: u32, day: u32) -> i32 {
    NaiveDate::from_ymd_opt(year, month, day).map_or(0, days_since_epoch)
}

pub fn financial_year(day: i32) -> i32 {
    date_from_days(day).map_or(0, |d| {
        if d.month() >= 4 {
            d.year()
        } else {
            d.year() - 1
        }
    })
}

fn add_months(day: i32, months: u32) -> i32 {
    date_from_days(day)
        .and_then(|d| d.checked_add_months(Months::new(months)))
        .map_or(day + months as i32 * 30, days_since_epoch)
}

/// The weighted tables, built once.
pub struct Tables {
    sex: Choice<&'static str>,
    ethnicity: Choice<&'static str>,
    order_mental_health: Choice<&'static str>,
    order_ages: Choice<Option<(i32, i32)>>,
    unplaced_mental_health: Choice<&'static str>,
    unplaced_ages: Choice<Option<(i32, i32)>>,
    primary_drug: Choice<&'static str>,
    accommodation: Choice<&'static str>,
    length: Choice<u32>,
    low_intensity_length: Choice<u32>,
    non_completion: Choice<&'static str>,
    pub offence_group: Choice<&'static str>,
}

impl Tables {
    pub fn new() -> Self {
        Tables {
            sex: Choice::new(cal::SEX),
            ethnicity: Choice::new(cal::ETHNICITY),
            order_mental_health: Choice::new(cal::ORDER_MENTAL_HEALTH),
            order_ages: Choice::new(cal::ORDER_AGES),
            unplaced_mental_health: Choice::new(cal::UNPLACED_MENTAL_HEALTH),
            unplaced_ages: Choice::new(cal::UNPLACED_AGES),
            primary_drug: Choice::new(cal::PRIMARY_DRUG),
            accommodation: Choice::new(cal::ACCOMMODATION),
            length: Choice::new(cal::LENGTH_MONTHS),
            low_intensity_length: Choice::new(cal::LOW_INTENSITY_LENGTH_MONTHS),
            non_completion: Choice::new(cal::NON_COMPLETION),
            offence_group: Choice::new(cal::OFFENCE_GROUPS),
        }
    }

    /// Someone placed on an Order.
    pub fn person(&self, rng: &mut impl Rng, day: i32) -> Person {
        self.person_with(rng, day, &self.order_ages, &self.order_mental_health)
    }

    /// Someone assessed and not placed on an Order: younger, and more
    /// often with a mental health problem.
    pub fn unplaced_person(&self, rng: &mut impl Rng, day: i32) -> Person {
        self.person_with(rng, day, &self.unplaced_ages, &self.unplaced_mental_health)
    }

    fn person_with(
        &self,
        rng: &mut impl Rng,
        day: i32,
        ages: &Choice<Option<(i32, i32)>>,
        mental_health: &Choice<&'static str>,
    ) -> Person {
        Person {
            sex: self.sex.pick(rng),
            ethnicity: self.ethnicity.pick(rng),
            mental_health: mental_health.pick(rng),
            age: ages.pick(rng).map(|(lo, hi)| rng.random_range(lo..=hi)),
            age_on: day,
            // For someone placed on an Order, `populate` puts their Order's
            // assessment here.
            assessed: day,
        }
    }

    fn order(
        &self,
        rng: &mut impl Rng,
        person: &Person,
        person_index: usize,
        area: usize,
        commencement: i32,
        low_intensity: bool,
    ) -> Order {
        let length_months = if low_intensity {
            self.low_intensity_length.pick(rng)
        } else {
            self.length.pick(rng)
        };
        let mut sentence = commencement - rng.random_range(0..=SENTENCE_LEAD_DAYS);
        if low_intensity {
            sentence = sentence.max(day_of(2004, 4, 1));
        }
        let assessed = sentence - rng.random_range(7..=ASSESSMENT_LEAD_DAYS);
        let primary_drug = self.primary_drug.pick(rng);
        let accommodation = self.accommodation.pick(rng);
        let motivation_group = rng.random_bool(cal::MOTIVATION_GROUP_SHARE);
        let age = person.age_at(commencement);
        let log_odds = cal::completion_base_log_odds(financial_year(commencement))
            + cal::AREAS[area].2
            + if motivation_group {
                cal::MOTIVATION_GROUP_SHIFT
            } else {
                0.0
            }
            + if low_intensity {
                cal::LOW_INTENSITY_SHIFT
            } else {
                0.0
            }
            + if person.mental_health == "Y" {
                cal::MENTAL_HEALTH_SHIFT
            } else {
                0.0
            }
            + cal::accommodation_shift(accommodation)
            + cal::age_shift(age)
            + cal::drug_shift(primary_drug);
        let completes = rng.random_bool(1.0 / (1.0 + (-log_odds).exp()));
        let full_term = add_months(commencement, length_months);
        let length_days = f64::from((full_term - commencement).max(1));
        let (reason, end) = if completes {
            if rng.random_bool(cal::EARLY_GOOD_PROGRESS_SHARE) {
                let fraction = rng.random_range(0.5..0.9);
                (
                    "early_good_progress",
                    commencement + (fraction * length_days) as i32,
                )
            } else {
                ("completed", full_term)
            }
        } else {
            let reason = self.non_completion.pick(rng);
            // Most revocations come early; deaths at any time.
            let fraction: f64 = if reason == "died" {
                rng.random()
            } else {
                rng.random::<f64>().powf(1.6)
            };
            (
                reason,
                commencement + 7 + (fraction * (length_days - 8.0)) as i32,
            )
        };
        Order {
            person: person_index,
            area,
            crown_court: rng.random_bool(cal::CROWN_COURT_SHARE),
            low_intensity,
            assessed,
            sentence,
            commencement,
            length_months,
            primary_drug,
            accommodation,
            motivation_group,
            reason,
            end,
        }
    }
}
