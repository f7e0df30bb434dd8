//! Aggregation of observations to groups and to the territories that contain
//! communes (EPCI, département, région, France).
//!
//! Rules:
//! - only count variables are summed; a rate, amount or index given as such
//!   yields status `not_aggregable` for the group;
//! - a secret member makes the group total secret (an incomplete sum is never
//!   published as a total), a member without the variable makes it missing;
//! - values observed directly for a territory (a published total) take
//!   precedence over the computed sum.

use anyhow::Result;
use polars::prelude::*;

use crate::catalog::{Catalog, VariableKind};
use crate::geo::Geography;
use crate::status::Status;

/// Returns the observations plus one aggregated observation per (parent,
/// variable, vintage) that is not observed directly.
pub fn aggregate(obs: &DataFrame, catalog: &Catalog, geo: &Geography) -> Result<DataFrame> {
    let computed = aggregate_members(obs, catalog, geo)?;
    // Published values of composed territories (few rows) take precedence.
    let parents = computed.column("territory_code")?.unique()?.as_materialized_series().clone();
    let published = obs
        .clone()
        .lazy()
        .filter(col("territory_code").is_in(lit(parents).implode(false), false))
        .select([col("territory_code"), col("variable"), col("vintage")]);
    let not_observed = computed.lazy().join(
        published,
        [col("territory_code"), col("variable"), col("vintage")],
        [col("territory_code"), col("variable"), col("vintage")],
        JoinArgs::new(JoinType::Anti),
    );
    Ok(concat([obs.clone().lazy(), not_observed], UnionArgs::default())?.collect()?)
}

/// Sums of every variable over the members of every composed territory,
/// whether or not the territory also has a published value.
pub fn aggregate_members(obs: &DataFrame, catalog: &Catalog, geo: &Geography) -> Result<DataFrame> {
    let pairs = geo.composition();
    let composition = df!(
        "parent" => pairs.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
        "member" => pairs.iter().map(|p| p.1.as_str()).collect::<Vec<_>>(),
    )?
    .lazy();
    let sizes = composition.clone().group_by([col("parent")]).agg([len().alias("n_members")]);
    let counts: Vec<&str> = catalog
        .variables
        .iter()
        .filter(|v| v.kind == VariableKind::Count)
        .map(|v| v.id.as_str())
        .collect();
    let is_count = col("variable").is_in(lit(Series::new("".into(), counts)).implode(false), false);

    let ok = Status::Ok.lit();
    let out = obs
        .clone()
        .lazy()
        .join(composition, [col("territory_code")], [col("member")], JoinArgs::new(JoinType::Inner))
        .group_by([col("parent"), col("variable"), col("vintage")])
        .agg([
            col("value").sum().alias("sum"),
            col("status").max().alias("worst"),
            len().alias("n"),
        ])
        .join(sizes, [col("parent")], [col("parent")], JoinArgs::new(JoinType::Left))
        .with_columns([when(is_count.clone().not())
            .then(Status::NotAggregable.lit())
            .when(col("worst").eq(Status::Secret.lit()))
            .then(Status::Secret.lit())
            .when(col("worst").neq(ok.clone()).or(col("n").lt(col("n_members"))))
            .then(Status::Missing.lit())
            .otherwise(ok.clone())
            .alias("status")])
        .select([
            col("parent").alias("territory_code"),
            col("variable"),
            col("vintage"),
            when(col("status").eq(ok)).then(col("sum")).otherwise(lit(NULL).cast(DataType::Float64)).alias("value"),
            col("status").cast(DataType::UInt32),
            lit("agrégation").alias("source"),
        ])
        .sort(["territory_code", "variable", "vintage"], Default::default())
        .collect()?;
    Ok(out)
}
