//! The edition of the quarterly DTTO official statistics, assembled from
//! the stages' crates, through which data flows one way: ingest
//! (`dtto-ingest`, extract to Parquet), the measures (`dtto-query`),
//! statistics and disclosure control (`dtto-protect`), rendering
//! (`dtto-render`), over what they share (`dtto-model`) and where editions
//! are kept (`dtto-storage`). This crate runs them for a period (`run`),
//! compares editions (`diff`, `revisions`) and previews a draft (`serve`).

pub mod answer;
pub mod check_tests;
pub mod config;
pub mod diff;
pub mod edition;
pub mod manifest;
pub mod record;
pub mod register;
pub mod revisions;
pub mod run;
pub mod serve;
