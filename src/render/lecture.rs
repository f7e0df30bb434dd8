//! "Lecture :" sentences filled from an indicator's template.

use crate::catalog::Indicator;
use crate::engine::ResultRow;
use crate::render::fr;

/// Fills `{territoire}`, `{valeur}` (number and unit), `{millesime}`, `{unite}`.
pub fn sentence(ind: &Indicator, territory: &str, value: f64, vintage: i32) -> String {
    let v = format!(
        "{}{}",
        fr::number(value, ind.decimals),
        fr::unit_suffix(ind.unit.as_str())
    );
    let text = ind
        .lecture
        .replace("{territoire}", territory)
        .replace("{valeur}", &v)
        .replace("{millesime}", &vintage.to_string())
        .replace("{unite}", ind.unit.as_str());
    format!("Lecture : {text}")
}

/// « Lecture : entre 2019 et 2021, Revenu médian … passe de 14 320 € à
/// 14 890 € pour Denain, soit +570 € (+4,0 %). » — the change of a row that
/// has one.
pub fn change_sentence(ind: &Indicator, r: &ResultRow, relative: bool) -> Option<String> {
    let (to, delta, from_year, to_year) = (r.value?, r.evol_abs?, r.prev_vintage?, r.vintage?);
    let with_unit = |v: f64| format!("{}{}", fr::number(v, ind.decimals), fr::unit_suffix(ind.unit.as_str()));
    let change = format!(
        "{}{}",
        fr::signed(delta, ind.decimals),
        fr::unit_suffix(ind.unit.evolution_unit())
    );
    let pct = match (relative, r.evol_pct) {
        (true, Some(p)) => format!(" ({} %)", fr::signed(p, 1)),
        _ => String::new(),
    };
    Some(format!(
        "Lecture : entre {from_year} et {to_year}, « {} » passe de {} à {} pour {}, soit {change}{pct}.",
        ind.label,
        with_unit(to - delta),
        with_unit(to),
        r.territory_name
    ))
}
