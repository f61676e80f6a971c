//! Rendering the publication's files.

pub mod tidy_csv;
