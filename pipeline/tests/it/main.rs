//! Every integration test, in one executable: one link of the library and
//! its dependencies instead of one per file. Each module is one area.

mod answers;
mod architecture;
mod browser;
mod check;
mod check_tests;
mod cli;
mod crash;
mod diff;
mod disclosure;
mod disclosure_outputs;
mod fuzz;
mod hostile;
mod ingest;
mod labels;
mod measures;
mod publication;
mod readers;
mod revisions;
mod series;
mod serve;
mod support;
mod synth;
