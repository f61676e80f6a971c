//! What every stage of the pipeline shares: periods and their windows, the
//! extract's contract and reference lists, the statisticians' catalogue of
//! tables, the table model, the wording of numbers and dates, and the
//! exit codes.

// What other crates may use is `pub` and reachable from here; the rest
// is `pub(crate)`, so a surface grows only by a deliberate edit.
#![warn(unreachable_pub)]

pub mod catalogue;
pub mod contract;
pub mod exit;
pub mod format;
pub mod period;
pub mod reference;
pub mod request;
pub mod result;
pub mod table;
pub mod window;
