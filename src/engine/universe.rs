//! The universe of the results: the territories and indicators numbered,
//! which territories report which indicators.

use anyhow::Result;
use polars::prelude::*;
use polars::prelude::{PlHashMap as HashMap, PlHashSet as HashSet};

use crate::catalog::Catalog;
use crate::geo::{Geography, Level};
use crate::schema;


/// Each value's position in a list.
pub(super) fn ranks(values: &[String]) -> HashMap<&str, u32> {
    values
        .iter()
        .enumerate()
        .map(|(n, v)| (v.as_str(), n as u32))
        .collect()
}

/// The territories and indicators results are reported for: sorted,
/// distinct, with which (territory, indicator) pairs owe a row. Every
/// observed territory owes a row (`missing` if need be) for each indicator
/// the dataset has: a commune or a quartier for those some territory of its
/// level has (a commune does not owe one for an indicator only quartiers
/// have), a group, an EPCI and coarser for those any territory has; the
/// focus territories for every indicator, even one the dataset has nowhere. The catalogue is thus complete where users look, without a row
/// per commune and absent indicator at national scale.
pub(super) struct Universe {
    pub codes: Vec<String>,
    /// The territory has observations: it reports every indicator that has
    /// data somewhere.
    pub observed: Vec<bool>,
    /// A focus territory: it also reports the indicators with no data.
    pub focus: Vec<bool>,
    /// The rank of each territory's level in [`Level::ALL`].
    pub levels: Vec<u8>,
    pub indicators: Vec<String>,
}

impl Universe {
    pub fn territory_ranks(&self) -> HashMap<&str, u32> {
        ranks(&self.codes)
    }

    pub fn indicator_ranks(&self) -> HashMap<&str, u32> {
        ranks(&self.indicators)
    }

    /// A numbered frame (`#t`, `#i`) with the territory codes and indicator
    /// ids instead (`territory_code`, `indicator`), for the composite stage.
    pub fn with_names(&self, numbered: DataFrame) -> Result<DataFrame> {
        let names = |values: &[String], numbers: &IdxCa| -> Result<Column> {
            let names =
                StringChunked::from_iter_values("".into(), values.iter().map(String::as_str));
            Ok(names.take(numbers)?.into_series().into_column())
        };
        let codes = names(&self.codes, numbered.column("#t")?.idx()?)?;
        let ids = names(&self.indicators, numbered.column("#i")?.idx()?)?;
        let mut df = numbered.drop_many(["#t", "#i", "#f"]);
        df.with_column(codes.with_name(schema::TERRITORY_CODE.into()))?;
        df.with_column(ids.with_name(schema::INDICATOR.into()))?;
        Ok(df)
    }

    /// The composite rows numbered like the indicator values: `#t`, `#i`,
    /// and no formula.
    pub fn numbered(&self, named: &DataFrame) -> Result<DataFrame> {
        let number = |column: &str, ranks: HashMap<&str, u32>| -> Result<Column> {
            let numbers = named
                .column(column)?
                .str()?
                .iter()
                .map(|name| match name.and_then(|n| ranks.get(n)) {
                    Some(&n) => Ok(n as IdxSize),
                    None => anyhow::bail!(
                        "ligne d'indice composite hors de l'univers des territoires et indicateurs : {name:?}"
                    ),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(IdxCa::from_vec("".into(), numbers)
                .into_series()
                .into_column())
        };
        let t = number(schema::TERRITORY_CODE, self.territory_ranks())?.with_name("#t".into());
        let i = number(schema::INDICATOR, self.indicator_ranks())?.with_name("#i".into());
        Ok(DataFrame::new(
            named.height(),
            vec![
                t,
                named.column(schema::VINTAGE)?.clone(),
                i,
                named.column(schema::VALUE)?.clone(),
                named.column(schema::STATUS)?.clone(),
                Column::full_null("#f".into(), named.height(), &IDX_DTYPE),
                named.column(schema::DETAIL)?.clone(),
            ],
        )?)
    }

    pub fn new(obs: &DataFrame, catalog: &Catalog, geo: &Geography, focus: &[String]) -> Result<Self> {
        let observed: HashSet<&str> = obs
            .column(schema::TERRITORY_CODE)?
            .str()?
            .iter()
            .flatten()
            .collect();
        let focus: HashSet<&str> = focus
            .iter()
            .map(String::as_str)
            .filter(|c| geo.get(c).is_some())
            .collect();
        let mut codes: Vec<&str> = observed.iter().chain(&focus).copied().collect();
        codes.sort_unstable();
        codes.dedup();
        let mut indicators: Vec<String> = catalog.indicators.iter().map(|i| i.id.clone()).collect();
        indicators.sort_unstable();
        indicators.dedup();
        Ok(Universe {
            observed: codes.iter().map(|c| observed.contains(c)).collect(),
            focus: codes.iter().map(|c| focus.contains(c)).collect(),
            levels: codes
                .iter()
                .map(|c| {
                    geo.get(c)
                        .and_then(|t| Level::ALL.iter().position(|l| *l == t.level))
                        .unwrap_or(0) as u8
                })
                .collect(),
            codes: codes.into_iter().map(String::from).collect(),
            indicators,
        })
    }
}
