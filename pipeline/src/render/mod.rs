//! Rendering the publication's files.

pub mod edition;
pub mod manifest;
pub mod tidy_csv;
