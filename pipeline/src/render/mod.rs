//! Rendering the publication's files, from protected tables only: the
//! words and their layout come from `templates/`.

pub mod bulletin;
pub mod canonical_xml;
pub mod charts;
pub mod display;
pub mod document;
pub mod edition;
pub mod fonts;
pub mod html;
pub mod manifest;
pub mod ods;
pub mod pdf;
pub mod qa;
pub mod tidy_csv;
pub mod words;
