//! Statistics and disclosure control: rates with their intervals, and the
//! protection every figure passes before anything is rendered. Neither
//! DataFusion nor typst is among its dependencies, so the part that must
//! never be wrong is built and tested on its own.

// What other crates may use is `pub` and reachable from here; the rest
// is `pub(crate)`, so a surface grows only by a deliberate edit.
#![warn(unreachable_pub)]

pub mod disclosure;
pub mod statistics;
