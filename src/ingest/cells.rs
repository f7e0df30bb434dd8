//! Cells read as numbers: the dialect's decimal separator, thousands
//! separators, secrecy and absence markers; an unreadable cell is a problem,
//! never a silent absence.

use polars::prelude::*;

use super::manifest;
use crate::fr::shorten;
use crate::status::{status_column, Status};

/// A text column parsed: values (null unless ok), statuses, and why cells
/// are unreadable.
pub(super) struct Parsed {
    pub value: Float64Chunked,
    pub status: UInt32Chunked,
    pub bad: Vec<Option<Unreadable>>,
}

/// Why a cell is not read as a value: never silently absent or another
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unreadable {
    /// Not a number, nor a marker.
    NotANumber,
    /// NaN, an infinity, or beyond the range of reals (1e309).
    NotFinite,
    /// « 15.760 » in a file with a decimal comma: thousands or decimals?
    Ambiguous,
}

impl Unreadable {
    pub fn message(self, text: &str, d: &manifest::ResolvedDialect) -> String {
        let text = shorten(text, 60);
        match self {
            Unreadable::NotANumber => format!(
                "valeur « {text} » illisible : nombre attendu (décimale « {} »), ou marqueur de secret ({}) ou d'absence ({})",
                d.decimal,
                d.secret.join(", "),
                d.missing.join(", ")
            ),
            Unreadable::NotFinite => format!(
                "valeur « {text} » : un nombre fini est attendu (NaN, l'infini et les nombres au-delà de 1,8 × 10^308 ne sont pas des valeurs)"
            ),
            Unreadable::Ambiguous => format!(
                "valeur « {text} » ambiguë : la décimale déclarée est « {} », le point y sépare-t-il les milliers ou les décimales ? Si le fichier écrit ses décimales avec un point, déclarez decimal = \".\" pour cette source",
                d.decimal
            ),
        }
    }
}

/// « 15.760 », « 1.234.567 »: digits grouped by three after points, read
/// with a decimal comma.
fn thousands_with_points(cleaned: &str) -> bool {
    let digits = cleaned.strip_prefix('-').unwrap_or(cleaned);
    let mut groups = digits.split('.');
    let first = groups.next().unwrap_or("");
    let rest: Vec<&str> = groups.collect();
    !rest.is_empty()
        && (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && rest.iter().all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses one text column: trimmed cells; secrecy and absence markers;
/// thousands separators (space, no-break, narrow no-break), `€`, `%` and `+`
/// removed; the dialect's decimal separator; explicit `values` for given
/// texts; numbers read as polars reads them (fast_float2).
pub(super) fn parse_column(
    name: &str,
    texts: &StringChunked,
    d: &manifest::ResolvedDialect,
    values: &std::collections::BTreeMap<String, f64>,
) -> Parsed {
    let n = texts.len();
    let mut value = PrimitiveChunkedBuilder::<Float64Type>::new(name.into(), n);
    let mut status = Vec::with_capacity(n);
    let mut bad = Vec::with_capacity(n);
    let mut cleaned = String::new();
    let blank_is_secret = d.secret.iter().any(|m| m.trim().is_empty());
    for cell in texts.iter() {
        let text = cell.map(str::trim);
        let (x, st, unreadable) = match text {
            Some(t) if d.secret.iter().any(|m| m == t) => (None, Status::Secret, None),
            None if blank_is_secret => (None, Status::Secret, None),
            None => (None, Status::Missing, None),
            Some(t) if t.is_empty() || d.missing.iter().any(|m| m == t) => {
                (None, Status::Missing, None)
            }
            Some(t) => match values.get(t) {
                Some(v) => (Some(*v), Status::Ok, None),
                None => {
                    cleaned.clear();
                    let mut decimal_seen = false;
                    for ch in t.chars() {
                        match ch {
                            ' ' | '\u{202F}' | '\u{A0}' | '€' | '%' | '+' => {}
                            c if c == d.decimal => {
                                decimal_seen = true;
                                cleaned.push('.');
                            }
                            c => cleaned.push(c),
                        }
                    }
                    let read = fast_float2::parse::<f64, _>(cleaned.as_bytes()).ok();
                    // Points in a decimal-comma number, grouping digits by
                    // three: thousands (15 760) or decimals (15,76)?
                    let ambiguous =
                        d.decimal != '.' && !decimal_seen && thousands_with_points(&cleaned);
                    let why = match read {
                        _ if ambiguous => Some(Unreadable::Ambiguous),
                        None => Some(Unreadable::NotANumber),
                        Some(x) if !x.is_finite() => Some(Unreadable::NotFinite),
                        Some(_) => None,
                    };
                    (read.filter(|_| why.is_none()), Status::Ok, why)
                }
            },
        };
        value.append_option(x);
        status.push(st.code());
        bad.push(unreadable);
    }
    Parsed {
        value: value.finish(),
        status: UInt32Chunked::from_vec(status_column(name).into(), status),
        bad,
    }
}

/// The decimals a number is written with (« -6,8 » → 1, « -15 » → 0).
pub fn written_decimals(text: &str) -> u8 {
    text.trim().rsplit_once([',', '.']).map_or(0, |(_, d)| d.chars().take_while(char::is_ascii_digit).count() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse_with_the_dialect() {
        let dialect = manifest::ResolvedDialect {
            delimiter: None,
            decimal: ',',
            secret: vec!["s".into(), "nd".into()],
            missing: vec!["-".into()],
        };
        let values = [("moins de 5".to_string(), 2.5)].into_iter().collect();
        let texts = StringChunked::from_iter_options(
            "x".into(),
            [
                Some(" 1 234,5 "),
                Some("12\u{202F}000\u{A0}€"),
                Some("+3,5 %"),
                Some("nd"),
                Some("-"),
                Some(""),
                None,
                Some("moins de 5"),
                Some("mille"),
                Some("1.5"),
                Some("NaN"),
                Some("1e309"),
                Some("-inf"),
                Some("15.760 €"),
                Some("1.234.567"),
                Some("1.2345"),
                Some("145,415"),
            ]
            .into_iter(),
        );
        let p = parse_column("x", &texts, &dialect, &values);
        let (ok, missing, secret) = (
            Status::Ok.code(),
            Status::Missing.code(),
            Status::Secret.code(),
        );
        assert_eq!(
            p.value.iter().collect::<Vec<_>>(),
            [
                Some(1234.5),
                Some(12000.0),
                Some(3.5),
                None,
                None,
                None,
                None,
                Some(2.5),
                None,
                // "." is not the decimal separator here, but a number all the
                // same: read as polars reads it.
                Some(1.5),
                // Never a value: not finite, or thousands or decimals?
                None,
                None,
                None,
                None,
                None,
                // Four decimals: no thousands grouping, read as written.
                Some(1.2345),
                // The declared decimal comma: three decimals, no doubt.
                Some(145.415),
            ]
        );
        assert_eq!(
            p.status.into_no_null_iter().collect::<Vec<_>>(),
            [ok, ok, ok, secret, missing, missing, missing, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok]
        );
        use Unreadable::*;
        assert_eq!(
            p.bad,
            [
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                Some(NotANumber),
                None,
                Some(NotFinite),
                Some(NotFinite),
                Some(NotFinite),
                Some(Ambiguous),
                Some(Ambiguous),
                None,
                None
            ]
        );
    }
    #[test]
    fn fuzz_cell_parser() {
        // Cells of real files and their edge cases, one per line.
        let seeds = [
            crate::fuzz::seed_head("datasets/caph/sources/t05_minima_sociaux.csv", 2048),
            " 1 234,5 \n12\u{202F}000\u{A0}€\n+3,5 %\nnd\n-\n\ns\n1.5\nNaN\n1e309\n-inf\n15.760 €\n1.234.567\n145,415\n007\n-0\n"
                .as_bytes()
                .to_vec(),
        ];
        let tokens = ["nd", "s", "-", "NaN", "inf", "e308", "e-400", "1.234", ",5", "€", "%", "\u{202F}", "\u{A0}", "+", "000"];
        let values = [("moins de 5".to_string(), 2.5)].into_iter().collect();
        let counts = crate::fuzz::run("cells", &seeds, &tokens, |input| {
            let text = String::from_utf8_lossy(input);
            let cells: Vec<&str> = text.split(['\n', ';']).collect();
            let texts = StringChunked::from_iter_options("x".into(), cells.iter().map(|c| (!c.is_empty()).then_some(*c)));
            for decimal in [',', '.'] {
                let d = manifest::ResolvedDialect {
                    delimiter: None,
                    decimal,
                    secret: manifest::DEFAULT_SECRET.iter().map(|m| m.to_string()).collect(),
                    missing: vec!["-".into()],
                };
                let p = parse_column("x", &texts, &d, &values);
                assert_eq!((p.value.len(), p.status.len(), p.bad.len()), (cells.len(), cells.len(), cells.len()));
                for (i, cell) in cells.iter().enumerate() {
                    let (v, st, bad) = (p.value.get(i), p.status.get(i), p.bad[i]);
                    let t = cell.trim();
                    // A value is finite and read; an unread cell says why,
                    // or is a marker: never silently missing.
                    match (v, bad) {
                        (Some(x), None) => assert!(x.is_finite() && st == Some(Status::Ok.code()), "{cell:?} → {x}"),
                        (Some(x), Some(b)) => panic!("{cell:?} → {x} and {b:?}"),
                        (None, Some(_)) => assert_eq!(st, Some(Status::Ok.code()), "{cell:?}"),
                        (None, None) => assert!(
                            t.is_empty() || d.secret.iter().chain(&d.missing).any(|m| m == t),
                            "{cell:?} silently missing"
                        ),
                    }
                    // Plain digits read as written.
                    if !t.is_empty() && t.len() < 16 && t.bytes().all(|b| b.is_ascii_digit()) {
                        assert_eq!(v, t.parse::<f64>().ok(), "{cell:?}");
                    }
                }
            }
            crate::fuzz::Outcome::Accepted
        });
        assert!(counts.accepted > 0, "{counts:?}");
    }
}
