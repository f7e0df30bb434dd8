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
use polars::prelude::PlHashMap as HashMap;
use polars::prelude::*;
use rayon::prelude::*;

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
///
/// Every commune sits in four parents (millions of (parent, observation)
/// pairs at national scale): the sums are accumulated in one pass over the
/// observations into a dense (parent, variable, vintage) table, rather than
/// by joining each observation to its parents and grouping the pairs.
pub fn aggregate_members(obs: &DataFrame, catalog: &Catalog, geo: &Geography) -> Result<DataFrame> {
    let pairs = geo.composition();
    let mut parent_index: HashMap<&str, usize> = HashMap::new();
    let mut parents: Vec<&str> = vec![];
    let mut n_members: Vec<u32> = vec![];
    let mut parents_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (p, m) in &pairs {
        let id = *parent_index.entry(p.as_str()).or_insert_with(|| {
            parents.push(p.as_str());
            n_members.push(0);
            parents.len() - 1
        });
        n_members[id] += 1;
        parents_of.entry(m.as_str()).or_default().push(id);
    }
    // Each row's member (its list of parents), variable and vintage slot,
    // looked up in parallel; the sums are then accumulated in row order (the
    // same additions in the same order as a sequential pass).
    let members: Vec<&Vec<usize>> = parents_of.values().collect();
    let member_index: HashMap<&str, u32> = parents_of
        .keys()
        .enumerate()
        .map(|(n, m)| (*m, n as u32))
        .collect();
    let (vintage_list, keys) =
        super::row_keys(obs, catalog, |code| Ok(member_index.get(code).copied()))?;
    let n_vintages = vintage_list.len();
    let n_variables = catalog.variables.len();
    #[derive(Clone, Copy, Default)]
    struct Acc {
        sum: f64,
        /// Neumaier compensation: the sum does not depend on the order of
        /// the members (to the last bits), as with a pairwise sum.
        compensation: f64,
        worst: u32,
        n: u32,
    }
    let mut acc = vec![Acc::default(); parents.len() * n_variables * n_vintages];
    // Accumulated in parallel over ranges of variables (the table is laid
    // out variable first): each task reads every row and adds those of its
    // variables, in row order.
    let (values, statuses) = (obs.column("value")?.f64()?, obs.column("status")?.u32()?);
    let stride = parents.len() * n_vintages;
    let per_task = n_variables
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    acc.par_chunks_mut(per_task * stride)
        .enumerate()
        .for_each(|(task, acc)| {
            let first = task * per_task;
            let rows = keys.iter().zip(values.iter().zip(statuses.iter()));
            for (key, (value, status)) in rows {
                let v = key.variable as usize;
                if *key == super::RowKey::SKIP || v < first || v >= first + per_task {
                    continue;
                }
                for &p in members[key.territory as usize] {
                    let a = &mut acc[(v - first) * stride + p * n_vintages + key.vintage as usize];
                    let x = value.unwrap_or(0.0);
                    let t = a.sum + x;
                    a.compensation += if a.sum.abs() >= x.abs() {
                        (a.sum - t) + x
                    } else {
                        (x - t) + a.sum
                    };
                    a.sum = t;
                    a.worst = a.worst.max(status.unwrap_or(Status::Missing.code()));
                    a.n += 1;
                }
            }
        });
    let is_count: Vec<bool> = catalog
        .variables
        .iter()
        .map(|v| v.kind == VariableKind::Count)
        .collect();
    let (mut t, mut var, mut vin, mut val, mut st) = (vec![], vec![], vec![], vec![], vec![]);
    for (p, parent) in parents.iter().enumerate() {
        for (v, variable) in catalog.variables.iter().enumerate() {
            for (y, vintage) in vintage_list.iter().enumerate() {
                let a = acc[(v * parents.len() + p) * n_vintages + y];
                if a.n == 0 {
                    continue;
                }
                let status = if !is_count[v] {
                    Status::NotAggregable
                } else if a.worst == Status::Secret.code() {
                    Status::Secret
                } else if a.worst != Status::Ok.code() || a.n < n_members[p] {
                    Status::Missing
                } else {
                    Status::Ok
                };
                t.push(*parent);
                var.push(variable.id.as_str());
                vin.push(*vintage);
                val.push((status == Status::Ok).then_some(a.sum + a.compensation));
                st.push(status.code());
            }
        }
    }
    Ok(df!(
        "territory_code" => t,
        "variable" => var,
        "vintage" => vin,
        "value" => val,
        "status" => st,
    )?
    .lazy()
    .with_column(lit("agrégation").alias("source"))
    .sort(
        ["territory_code", "variable", "vintage"],
        Default::default(),
    )
    .collect()?)
}
