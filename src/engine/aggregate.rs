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
    let parents = computed
        .column("territory_code")?
        .unique()?
        .as_materialized_series()
        .clone();
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
    // Integer keys for the heavy join and grouping (every commune sits in
    // four parents: millions of rows at national scale); codes and names are
    // put back on the ~100 000 sums.
    let mut parent_ids: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut parents: Vec<&str> = vec![];
    let mut pair_parent = Vec::with_capacity(pairs.len());
    for (p, _) in &pairs {
        let next = parents.len() as u32;
        let id = *parent_ids.entry(p.as_str()).or_insert_with(|| {
            parents.push(p.as_str());
            next
        });
        pair_parent.push(id);
    }
    let composition = df!(
        "parent_id" => pair_parent,
        "member" => pairs.iter().map(|p| p.1.as_str()).collect::<Vec<_>>(),
    )?
    .lazy();
    let parent_codes = df!(
        "parent_id" => (0..parents.len() as u32).collect::<Vec<_>>(),
        "parent" => parents,
    )?
    .lazy();
    let variables = df!(
        "variable_id" => (0..catalog.variables.len() as u32).collect::<Vec<_>>(),
        "variable" => catalog.variables.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
    )?
    .lazy();
    let sizes = composition
        .clone()
        .group_by([col("parent_id")])
        .agg([len().alias("n_members")]);
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
        .select([
            col("territory_code"),
            col("variable"),
            col("vintage"),
            col("value"),
            col("status"),
        ])
        .join(
            variables.clone(),
            [col("variable")],
            [col("variable")],
            JoinArgs::new(JoinType::Inner),
        )
        .join(
            composition,
            [col("territory_code")],
            [col("member")],
            JoinArgs::new(JoinType::Inner),
        )
        .group_by([col("parent_id"), col("variable_id"), col("vintage")])
        .agg([
            col("value").sum().alias("sum"),
            col("status").max().alias("worst"),
            len().alias("n"),
        ])
        .join(
            sizes,
            [col("parent_id")],
            [col("parent_id")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            parent_codes,
            [col("parent_id")],
            [col("parent_id")],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            variables,
            [col("variable_id")],
            [col("variable_id")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([when(is_count.clone().not())
            .then(Status::NotAggregable.lit())
            .when(col("worst").eq(Status::Secret.lit()))
            .then(Status::Secret.lit())
            .when(
                col("worst")
                    .neq(ok.clone())
                    .or(col("n").lt(col("n_members"))),
            )
            .then(Status::Missing.lit())
            .otherwise(ok.clone())
            .alias("status")])
        .select([
            col("parent").alias("territory_code"),
            col("variable"),
            col("vintage"),
            when(col("status").eq(ok))
                .then(col("sum"))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("value"),
            col("status").cast(DataType::UInt32),
            lit("agrégation").alias("source"),
        ])
        .sort(
            ["territory_code", "variable", "vintage"],
            Default::default(),
        )
        .collect()?;
    Ok(out)
}
