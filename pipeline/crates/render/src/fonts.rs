//! The one typeface of the publication, Liberation Sans (SIL OFL 1.1, see
//! `pipeline/fonts/LICENSE`), carried in the binary: charts are measured
//! and the PDF is set with the same font on every machine, whatever fonts
//! it has. It is metric-compatible with Arial, the browser's fallback.

use std::sync::Once;

use plotters::style::FontStyle;

pub(crate) const FAMILY: &str = "Liberation Sans";
/// How SVG text names it for a browser.
pub(crate) const CSS_FAMILY: &str = "'Liberation Sans', Arial, Helvetica, sans-serif";

pub(crate) const REGULAR: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");
pub(crate) const BOLD: &[u8] = include_bytes!("../fonts/LiberationSans-Bold.ttf");
pub(crate) const ITALIC: &[u8] = include_bytes!("../fonts/LiberationSans-Italic.ttf");

pub(crate) const ALL: [&[u8]; 3] = [REGULAR, BOLD, ITALIC];

/// Makes the typeface known to plotters (once per process).
pub(crate) fn register_for_charts() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        for (style, bytes) in [(FontStyle::Normal, REGULAR), (FontStyle::Bold, BOLD)] {
            // The bytes are compiled in and parsed by the tests, so a
            // failure here is a build defect, not bad input.
            plotters::style::register_font(FAMILY, style, bytes)
                .unwrap_or_else(|_| panic!("the embedded {FAMILY} font does not parse"));
        }
    });
}
