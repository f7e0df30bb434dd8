//! Value status shared by every stage.
//!
//! Statuses are ordered by precedence: when a formula combines operands, the
//! result takes the highest status of its operands (a secret operand makes a
//! secret result, never 0). The numeric codes are what the engine stores.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Status {
    Ok = 0,
    Missing = 1,
    NotAggregable = 2,
    Secret = 3,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Ok,
        Status::Missing,
        Status::NotAggregable,
        Status::Secret,
    ];

    pub fn code(self) -> u32 {
        self as u32
    }

    /// The status as a polars literal of the engine's status dtype (UInt32).
    pub fn lit(self) -> polars::prelude::Expr {
        use polars::prelude::*;
        lit(self.code()).cast(DataType::UInt32)
    }

    /// The status of an engine code; an unknown code is an error (a
    /// corrupted frame), never read as some status.
    pub fn from_code(code: u32) -> anyhow::Result<Status> {
        Status::ALL
            .into_iter()
            .find(|st| st.code() == code)
            .ok_or_else(|| anyhow::anyhow!("code de statut inconnu : {code} (0 à 3 attendus)"))
    }

    /// Identifier written in the results table.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::NotAggregable => "not_aggregable",
            Status::Secret => "secret",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The status in words, after a value's name (« … secret »).
    pub fn label_fr(self) -> &'static str {
        match self {
            Status::Ok => "disponible",
            Status::Missing => "sans donnée",
            Status::NotAggregable => "non calculable (non agrégeable)",
            Status::Secret => "secret",
        }
    }

    /// What a reader sees in a French table cell instead of a number.
    pub fn display_fr(self) -> &'static str {
        match self {
            Status::Ok => "",
            Status::Missing => "–",
            Status::NotAggregable => "n.c.",
            Status::Secret => "nd",
        }
    }
}

/// Legend printed under every French table.
pub const LEGEND_FR: &str =
    "nd : secret statistique ; n.c. : non calculable (donnée publiée en taux seulement, non agrégeable) ; – : donnée absente";

/// Name of the status column that accompanies a value column.
pub fn status_column(name: &str) -> String {
    format!("{name}#st")
}

/// Evaluates `formula` (polars SQL expression syntax over value columns) with
/// status propagation: the result status is the highest status among the
/// operands' `#st` columns; an ok result that is not a finite number (division
/// by zero) is missing. Returns (value, status) expressions; the value is null
/// whenever the status is not ok.
pub fn evaluate(
    formula: &str,
    operands: &[String],
) -> anyhow::Result<(polars::prelude::Expr, polars::prelude::Expr)> {
    use polars::prelude::*;
    let raw = crate::catalog::parse_formula(formula)?.cast(DataType::Float64);
    let operand_status = if operands.is_empty() {
        Status::Ok.lit()
    } else {
        polars::lazy::dsl::max_horizontal(
            operands
                .iter()
                .map(|o| col(status_column(o)))
                .collect::<Vec<_>>(),
        )?
    };
    let not_finite = raw.clone().is_finite().fill_null(lit(false)).not();
    let status = when(operand_status.clone().eq(Status::Ok.lit()).and(not_finite))
        .then(Status::Missing.lit())
        .otherwise(operand_status);
    let value = when(status.clone().eq(Status::Ok.lit()))
        .then(raw)
        .otherwise(lit(NULL).cast(DataType::Float64));
    Ok((value, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_is_secret_over_not_aggregable_over_missing() {
        assert!(Status::Secret > Status::NotAggregable);
        assert!(Status::NotAggregable > Status::Missing);
        assert!(Status::Missing > Status::Ok);
        for st in Status::ALL {
            assert_eq!(Status::from_code(st.code()).unwrap(), st);
            assert_eq!(Status::parse(st.as_str()), Some(st));
        }
    }
}
