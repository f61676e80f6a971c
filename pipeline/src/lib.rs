//! The pipeline behind the quarterly DTTO official statistics. Data flows
//! one way through its stages: ingest (extract to Parquet), then the
//! measures, statistics, disclosure control and rendering.

pub mod config;
pub mod diff;
pub mod disclosure;
pub mod durable;
pub mod exit;
pub mod format;
pub mod ingest;
pub mod layout;
pub mod lock;
pub mod period;
#[cfg(test)]
mod proptest_config;
pub mod query;
pub mod record;
pub mod reference;
pub mod render;
pub mod revisions;
pub mod run;
pub mod serve;
pub mod statistics;
pub mod synth;
pub mod table;
pub mod terminal;
