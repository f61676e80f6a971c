//! Statistics and disclosure control: rates with their intervals, and the
//! protection every figure passes before anything is rendered. Neither
//! DataFusion nor typst is among its dependencies, so the part that must
//! never be wrong is built and tested on its own.

pub mod disclosure;
pub mod statistics;
