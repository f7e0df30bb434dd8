//! "Lecture :" sentences filled from an indicator's template.

use crate::catalog::Indicator;
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
