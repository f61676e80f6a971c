//! How numbers are written for readers: in tables, charts and sentences.
//! One place, so that a figure reads the same everywhere it appears.

/// `23056426` as `23,056,426`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A proportion as a percentage to one decimal place, the precision every
/// output publishes: `0.28583` is `28.6`.
pub fn percent_value(proportion: f64) -> f64 {
    (proportion * 1000.0).round() / 10.0
}

/// `0.28583` as `28.6%`.
pub fn percent(proportion: f64) -> String {
    format!("{:.1}%", percent_value(proportion))
}

/// `part` of `whole` as a percentage, as [`percent`] writes it, except that
/// a share too small to show is `under 0.1%`, not `0.0%`, which would read
/// as none.
pub fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0.0%".to_string();
    }
    let proportion = part as f64 / whole as f64;
    if part > 0 && percent_value(proportion) == 0.0 {
        "under 0.1%".to_string()
    } else {
        percent(proportion)
    }
}

/// A month as every output writes it: `June 2005`.
pub fn month_year(date: chrono::NaiveDate) -> String {
    date.format("%B %Y").to_string()
}

/// A day as every output writes it: `30 June 2005`.
pub fn long_date(date: chrono::NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// A difference of proportions in percentage points, signed: `+1.6`,
/// `-0.4`, `0.0`.
pub fn points(difference: f64) -> String {
    let value = percent_value(difference);
    if value > 0.0 {
        format!("+{value:.1}")
    } else if value < 0.0 {
        format!("{value:.1}")
    } else {
        "0.0".to_string()
    }
}

/// A mean to two decimal places: `1.3722` as `1.37`.
pub fn mean(value: f64) -> String {
    format!("{value:.2}")
}

/// A phrase that starts a sentence, to follow a comma: `people whose
/// Order commenced in the year ending December 2003`. The Order, the
/// sentence's name, keeps its capital: `Orders commenced in …`.
pub fn lower_first(phrase: &str) -> String {
    if phrase.starts_with("Order") {
        return phrase.to_string();
    }
    let mut chars = phrase.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(23_056_426), "23,056,426");
    }

    #[test]
    fn percentages_have_one_decimal_place() {
        assert_eq!(percent(1678.0 / 5871.0), "28.6%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(1.0), "100.0%");
        assert_eq!(percent_value(0.28583), 28.6);
    }

    #[test]
    fn dates_shares_and_phrases_read_alike_everywhere() {
        let day = chrono::NaiveDate::from_ymd_opt(2005, 6, 30).unwrap();
        assert_eq!(month_year(day), "June 2005");
        assert_eq!(long_date(day), "30 June 2005");
        assert_eq!(share(0, 100), "0.0%");
        assert_eq!(share(1, 10_000), "under 0.1%");
        assert_eq!(share(12, 1_000), "1.2%");
        assert_eq!(lower_first("People whose Order"), "people whose Order");
        assert_eq!(lower_first("Orders commenced"), "Orders commenced");
    }

    #[test]
    fn points_carry_their_sign() {
        assert_eq!(points(0.016), "+1.6");
        assert_eq!(points(-0.004), "-0.4");
        assert_eq!(points(0.0001), "0.0");
        assert_eq!(points(-0.0001), "0.0");
    }
}
