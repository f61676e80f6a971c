//! Where editions and deliveries are kept: every path of an edition, the
//! locks that keep two runs apart, and files written so that a crash
//! leaves the old or the new, never half of either.

// What other crates may use is `pub` and reachable from here; the rest
// is `pub(crate)`, so a surface grows only by a deliberate edit.
#![warn(unreachable_pub)]

pub mod durable;
pub mod layout;
pub mod lock;
pub mod publish;
