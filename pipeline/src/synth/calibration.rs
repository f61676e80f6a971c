//! The published facts the synthetic extract is calibrated to, at scale 1,
//! as the generator's parameters. Changing the story means changing this
//! file; `fixtures/README.md` lists the facts and what a default run shows.

/// Starts per financial year (April to March): standard and low-intensity.
/// The national rollout began in October 2000; low-intensity Orders exist
/// from 2004-04-01. Years after 2004-05 continue at the 2004-05 level.
pub const STARTS_BY_FINANCIAL_YEAR: &[(i32, u32, u32)] = &[
    // (year the financial year begins, standard, low_intensity)
    (2000, 1_450, 0),
    (2001, 3_600, 0),
    (2002, 6_140, 0),
    (2003, 8_519, 0),
    (2004, 9_300, 1_000),
];

/// The first day of the rollout.
pub const ROLLOUT: (i32, u32, u32) = (2000, 10, 1);

/// Probation areas: code, relative caseload, and the log-odds shift of
/// completing an Order there. Kent and Dorset are the published extremes
/// (about 8 % and 71 % in 2003).
pub const AREAS: &[(&str, f64, f64)] = &[
    ("AVS", 3.0, 0.10),
    ("BED", 1.0, -0.20),
    ("CAM", 1.2, 0.25),
    ("CHE", 1.8, 0.30),
    ("CUM", 0.8, 0.40),
    ("DER", 2.0, -0.10),
    ("DVC", 2.5, 0.20),
    ("DOR", 1.2, 1.95),
    ("DUR", 1.2, 0.05),
    ("DYP", 0.7, 0.35),
    ("ESX", 3.0, -0.25),
    ("GLO", 1.0, 0.15),
    ("GMN", 6.0, -0.05),
    ("GWE", 1.2, 0.00),
    ("HAM", 3.0, 0.10),
    ("HER", 1.8, 0.20),
    ("HUM", 2.0, -0.30),
    ("KEN", 3.0, -1.5),
    ("LAN", 3.0, 0.05),
    ("LEI", 2.0, -0.15),
    ("LIN", 1.0, 0.30),
    ("LON", 14.0, -0.10),
    ("MER", 4.0, 0.00),
    ("NFK", 1.3, 0.10),
    ("NWA", 1.0, 0.25),
    ("NYO", 1.0, 0.35),
    ("NTH", 1.0, -0.20),
    ("NUM", 3.5, 0.15),
    ("NOT", 2.5, -0.35),
    ("SWA", 2.5, 0.05),
    ("SYO", 3.0, -0.05),
    ("STA", 2.0, 0.10),
    ("SUF", 1.0, 0.20),
    ("SUR", 1.5, 0.30),
    ("SUS", 2.5, -0.10),
    ("TEE", 1.5, -0.20),
    ("TVA", 4.0, 0.00),
    ("WAR", 0.8, 0.20),
    ("WME", 1.8, 0.15),
    ("WMI", 6.0, -0.20),
    ("WYO", 5.0, -0.10),
    ("WIL", 1.0, 0.25),
];

/// Log-odds of completing an Order, before the shifts below, by the
/// financial year it commenced: completion improved as areas learned.
pub fn completion_base_log_odds(financial_year: i32) -> f64 {
    match financial_year {
        ..=2001 => -1.00,
        2002 => -0.75,
        2003 => -0.65,
        _ => -0.45,
    }
}

/// Log-odds shifts of completing, by characteristic.
pub const MOTIVATION_GROUP_SHIFT: f64 = 0.45;
pub const LOW_INTENSITY_SHIFT: f64 = 0.50;
pub const MENTAL_HEALTH_SHIFT: f64 = -0.30;
pub fn accommodation_shift(accommodation: &str) -> f64 {
    match accommodation {
        "settled" => 0.20,
        "nfa" => -0.55,
        _ => 0.0,
    }
}
pub fn age_shift(age: Option<i32>) -> f64 {
    match age {
        Some(..=17) => -0.50,
        Some(18..=21) => -0.40,
        Some(40..) => 0.25,
        _ => 0.0,
    }
}
pub fn drug_shift(drug: &str) -> f64 {
    match drug {
        "crack" => -0.30,
        "cannabis" | "amphetamine" => 0.35,
        _ => 0.0,
    }
}

/// How Orders that do not complete end, as weights: about 44 % of all
/// terminations revoked for breach and 22 % for a new offence.
pub const NON_COMPLETION: &[(&str, f64)] = &[
    ("revoked_breach", 61.0),
    ("revoked_new_offence", 30.5),
    ("revoked_other", 6.0),
    ("died", 2.5),
];
/// Of completions, the share ended early for good progress.
pub const EARLY_GOOD_PROGRESS_SHARE: f64 = 0.15;

pub const SEX: &[(&str, f64)] = &[("M", 84.0), ("F", 15.5), ("U", 0.5)];

/// Age bands at commencement as (lowest, highest, weight); `None` is not
/// known.
pub const ORDER_AGES: &[(Option<(i32, i32)>, f64)] = &[
    (Some((16, 17)), 2.0),
    (Some((18, 21)), 12.0),
    (Some((22, 25)), 18.0),
    (Some((26, 29)), 20.0),
    (Some((30, 39)), 35.0),
    (Some((40, 65)), 12.0),
    (None, 1.0),
];
/// People assessed and not placed on an Order are younger.
pub const UNPLACED_AGES: &[(Option<(i32, i32)>, f64)] = &[
    (Some((16, 17)), 6.0),
    (Some((18, 21)), 26.0),
    (Some((22, 25)), 19.0),
    (Some((26, 29)), 16.0),
    (Some((30, 39)), 24.0),
    (Some((40, 65)), 8.0),
    (None, 1.0),
];

/// About 11 % from minority ethnic groups; empty means not stated.
pub const ETHNICITY: &[(&str, f64)] = &[
    ("W1", 83.5),
    ("W2", 1.5),
    ("W9", 1.5),
    ("M1", 1.0),
    ("M2", 0.5),
    ("M3", 0.5),
    ("M9", 0.5),
    ("A1", 1.2),
    ("A2", 1.0),
    ("A3", 0.4),
    ("A9", 0.4),
    ("B1", 2.0),
    ("B2", 1.5),
    ("B9", 1.0),
    ("O1", 0.4),
    ("O9", 0.6),
    ("NS", 1.5),
    ("", 1.0),
];

/// Mental health problem recorded: Y, N, or not known.
pub const ORDER_MENTAL_HEALTH: &[(&str, f64)] = &[("Y", 15.0), ("N", 75.0), ("", 10.0)];
pub const UNPLACED_MENTAL_HEALTH: &[(&str, f64)] = &[("Y", 35.0), ("N", 55.0), ("", 10.0)];

/// Assessments of people never placed on an Order, per Order, and the
/// share of them found suitable (the court chose another sentence).
pub const UNPLACED_ASSESSMENTS_PER_ORDER: f64 = 0.37;
pub const UNPLACED_SUITABLE_SHARE: f64 = 0.15;

pub const PRIMARY_DRUG: &[(&str, f64)] = &[
    ("heroin", 70.0),
    ("crack", 14.0),
    ("cocaine", 5.0),
    ("cannabis", 4.0),
    ("amphetamine", 3.0),
    ("other", 4.0),
];
pub const ACCOMMODATION: &[(&str, f64)] = &[
    ("settled", 60.0),
    ("unsettled", 25.0),
    ("nfa", 10.0),
    ("", 5.0),
];
pub const MOTIVATION_GROUP_SHARE: f64 = 0.40;
pub const CROWN_COURT_SHARE: f64 = 0.30;
pub const LENGTH_MONTHS: &[(u32, f64)] =
    &[(6, 10.0), (12, 45.0), (18, 25.0), (24, 14.0), (36, 6.0)];
pub const LOW_INTENSITY_LENGTH_MONTHS: &[(u32, f64)] = &[(6, 60.0), (12, 40.0)];

/// A later Order for someone who had one before.
pub const REPEAT_ORDER_SHARE: f64 = 0.12;

/// Chance of a positive test early on, by primary drug: (opiates, cocaine).
/// About 42 % of opiate and 45 % of cocaine tests are positive early on.
pub fn early_positive(drug: &str) -> (f64, f64) {
    match drug {
        "heroin" => (0.53, 0.45),
        "crack" => (0.35, 0.68),
        "cocaine" => (0.10, 0.60),
        _ => (0.08, 0.15),
    }
}
/// How far the chance of a positive test falls over the first six months:
/// more for those who go on to complete.
pub const POSITIVE_FALL_COMPLETING: f64 = 0.60;
pub const POSITIVE_FALL_OTHERS: f64 = 0.25;
pub const REFUSED_SHARE: f64 = 0.03;
pub const INVALID_SHARE: f64 = 0.02;
pub const MISSED_TEST_SHARE: f64 = 0.10;
/// Tests are twice weekly for the first twelve weeks, weekly after.
pub const INTENSIVE_TESTING_DAYS: i32 = 84;

/// Chance of a proven reoffence within two years, by how the Order ended:
/// about 53 % for completers and 91 % for revoked Orders, once convictions
/// later than the six-month waiting period are allowed for.
pub const REOFFEND_COMPLETED: f64 = 0.53;
pub const REOFFEND_REVOKED: f64 = 0.885;
pub const REOFFEND_OTHER: f64 = 0.90;
pub const OFFENCE_GROUPS: &[(&str, f64)] = &[
    ("acquisitive", 55.0),
    ("drugs", 20.0),
    ("violence", 10.0),
    ("other", 15.0),
];

/// Treatment starting soon after an Order ends, by how it ended.
pub fn continuity_share(reason: &str) -> f64 {
    match reason {
        "completed" => 0.55,
        "early_good_progress" => 0.60,
        "revoked_new_offence" => 0.30,
        "revoked_breach" => 0.28,
        _ => 0.35,
    }
}
