//! Independent streams of random numbers, one per purpose and item (a
//! financial year's starts, one Order's drug tests). What is drawn for one
//! item never shifts what is drawn for another, and nothing drawn depends
//! on the as_at: a later delivery draws the same numbers for everything an
//! earlier one held, and only holds more of what they describe.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is for: one ChaCha stream per purpose.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// Per financial year: the days its Orders commence.
    Schedule = 1,
    /// One stream for all the people and Orders, drawn in commencement
    /// order, so a later horizon only adds Orders after the earlier ones.
    Population,
    /// Per Order: when its termination is recorded.
    Terminations,
    /// Per Order: when its assessment is recorded.
    Assessments,
    /// Per assessment of someone never placed: when it is recorded.
    UnplacedAssessments,
    /// Per Order: its drug tests.
    DrugTests,
    /// Per Order: the proven offences of its person around it.
    Reconvictions,
    /// Per assessment of someone never placed: their proven offence.
    UnplacedReconvictions,
    /// Per Order: the treatment its person starts around it.
    TreatmentEpisodes,
    /// The fields a later delivery corrects.
    Corrections,
}

/// The stream of `purpose` for `item`: each item has 2^32 words of its
/// own, far more than any Order draws (a few thousand for 36 months of
/// tests), and items up to 2^36 fit in ChaCha's 68-bit position.
pub fn stream(seed: u64, purpose: Purpose, item: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose as u64);
    rng.set_word_pos(u128::from(item) << 32);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn items_and_purposes_draw_apart() {
        let first = |purpose, item| stream(3, purpose, item).random::<u64>();
        assert_eq!(first(Purpose::DrugTests, 7), first(Purpose::DrugTests, 7));
        assert_ne!(first(Purpose::DrugTests, 7), first(Purpose::DrugTests, 8));
        assert_ne!(
            first(Purpose::DrugTests, 7),
            first(Purpose::Reconvictions, 7)
        );
    }
}
