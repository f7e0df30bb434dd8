//! French conventions: decimal comma, narrow no-break space between
//! thousands, explicit sign for changes; names in French alphabetical order.

/// Narrow no-break space (U+202F), the French thousands separator.
pub const THOUSANDS: char = '\u{202F}';

/// Names in French alphabetical order: accents, case and punctuation
/// ignored first (« Écaillon » between « Denain » and « Escaudain », not
/// after « Wallers » as raw bytes put it), then the exact spelling.
pub fn collate(a: &str, b: &str) -> std::cmp::Ordering {
    crate::geo::normalize(a)
        .cmp(&crate::geo::normalize(b))
        .then_with(|| a.cmp(b))
}

/// Rounds half away from zero at `decimals` (the way published tables round).
pub fn round_half_away(v: f64, decimals: u8) -> f64 {
    let f = 10f64.powi(decimals as i32);
    // Nudge by a relative epsilon so that 2.25 stored as 2.2499999… rounds up.
    let scaled = v * f;
    let nudged = scaled + scaled.signum() * scaled.abs() * 1e-12;
    nudged.round() / f
}

/// `1234.56` → `1 234,6` (with `decimals` = 1).
pub fn number(v: f64, decimals: u8) -> String {
    let r = round_half_away(v, decimals);
    let r = if r == 0.0 { 0.0 } else { r }; // no "-0"
    let s = format!("{:.*}", decimals as usize, r.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s, None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(THOUSANDS);
        }
        grouped.push(ch);
    }
    let mut out = String::new();
    if r < 0.0 {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push(',');
        out.push_str(&f);
    }
    out
}

/// A change, always signed: `+0,7`, `-3,1`, `0`.
pub fn signed(v: f64, decimals: u8) -> String {
    let s = number(v, decimals);
    if s.starts_with('-') || round_half_away(v, decimals) == 0.0 {
        s
    } else {
        format!("+{s}")
    }
}

/// Unit suffix as written after a number.
pub fn unit_suffix(unit: &str) -> &str {
    match unit {
        "%" => " %",
        "pts" => " pts",
        "€" => " €",
        "ans" => " ans",
        "‰" => " ‰",
        _ => "",
    }
}

/// A label used inside a sentence: its first letter in lower case, unless
/// the first word is an acronym (« IDH-4 », « C2S »).
pub fn lowercase_first(label: &str) -> String {
    let first_word = label.split_whitespace().next().unwrap_or("");
    let acronym = first_word.chars().filter(|c| c.is_uppercase()).count() > 1;
    let mut chars = label.chars();
    match chars.next() {
        Some(c) if !acronym => c.to_lowercase().chain(chars).collect(),
        _ => label.to_string(),
    }
}

/// A text quoted in a message: at most `max` characters, then its length.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!(
            "{}… ({} caractères)",
            s.chars().take(max).collect::<String>(),
            s.chars().count()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_french_alphabetical_order() {
        let mut names = vec!["Wallers", "Écaillon", "Denain", "escaudain", "Émerchicourt"];
        names.sort_by(|a, b| collate(a, b));
        assert_eq!(names, ["Denain", "Écaillon", "Émerchicourt", "escaudain", "Wallers"]);
        // Same letters: the exact spelling decides, so the order is total.
        assert_eq!(collate("Saint-Amand", "Saint Amand"), std::cmp::Ordering::Greater);
    }

    #[test]
    fn french_numbers() {
        assert_eq!(number(13204.0, 0), "13\u{202F}204");
        assert_eq!(number(64844037.0, 0), "64\u{202F}844\u{202F}037");
        assert_eq!(number(2.19417, 1), "2,2");
        assert_eq!(number(0.25, 1), "0,3");
        assert_eq!(number(-0.04, 1), "0,0");
        assert_eq!(number(-1941.0, 0), "-1\u{202F}941");
        assert_eq!(number(999.96, 1), "1\u{202F}000,0");
        assert_eq!(signed(31.06, 1), "+31,1");
        assert_eq!(signed(-0.6, 1), "-0,6");
        assert_eq!(signed(0.0, 1), "0,0");
    }

    #[test]
    fn half_cases_round_away_from_zero() {
        assert_eq!(round_half_away(2.25, 1), 2.3);
        assert_eq!(round_half_away(-2.25, 1), -2.3);
        assert_eq!(round_half_away(0.125, 2), 0.13);
    }
}

