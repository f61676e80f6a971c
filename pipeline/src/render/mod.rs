//! Rendering the publication's files.

pub mod edition;
pub mod tidy_csv;
