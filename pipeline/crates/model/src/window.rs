//! The windows a table's SQL can count over, by name.

use crate::period::Period;

/// The windows a table can count over: the 12 months ending some quarters
/// before the period end, each reaching the SQL as `$<name>_start` and
/// `$<name>_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Year,
    Lagged,
    Reconviction1y,
    Reconviction2y,
}

impl Window {
    pub const ALL: [Window; 4] = [
        Window::Year,
        Window::Lagged,
        Window::Reconviction1y,
        Window::Reconviction2y,
    ];

    /// How many quarters before the period end the window ends.
    pub fn quarters_back(self) -> i32 {
        match self {
            Window::Year => 0,
            Window::Lagged => 1,
            Window::Reconviction1y => 6,
            Window::Reconviction2y => 10,
        }
    }

    /// The names of its first and last day.
    pub fn parameters(self) -> [&'static str; 2] {
        match self {
            Window::Year => ["year_start", "year_end"],
            Window::Lagged => ["lagged_start", "lagged_end"],
            Window::Reconviction1y => ["reconviction_1y_start", "reconviction_1y_end"],
            Window::Reconviction2y => ["reconviction_2y_start", "reconviction_2y_end"],
        }
    }

    /// Its name: the `{name}` a table's `cohort` and `counted` words write
    /// where its months belong, and the stem of its parameters.
    pub fn name(self) -> &'static str {
        match self {
            Window::Year => "year",
            Window::Lagged => "lagged",
            Window::Reconviction1y => "reconviction_1y",
            Window::Reconviction2y => "reconviction_2y",
        }
    }

    pub fn named(name: &str) -> Option<Window> {
        Window::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The quarter its 12 months end with, in the edition for `period`.
    pub fn ending(self, period: Period) -> Period {
        period.earlier(self.quarters_back())
    }

    /// Every window a query counts over, from the names of the parameters
    /// it uses (`$year_start` or `year_start`): a window whose first and
    /// last day it both uses (a table of financial years bounded by
    /// `$year_end` alone counts over no rolling window).
    pub fn used_by<'a>(parameters: impl IntoIterator<Item = &'a str>) -> Vec<Window> {
        let used: Vec<&str> = parameters
            .into_iter()
            .map(|name| name.trim_start_matches('$'))
            .collect();
        Window::ALL
            .into_iter()
            .filter(|window| window.parameters().iter().all(|p| used.contains(p)))
            .collect()
    }
}
