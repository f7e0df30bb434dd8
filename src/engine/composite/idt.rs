//! The IDT-BCS: weighted relative gaps of its components to a reference
//! territory (the reference = 0).

use std::sync::Arc;

use super::{row, CompositeInfo, Row, Values};
use crate::catalog::composites::{self, IDT_BCS};
use crate::catalog::Catalog;
use crate::engine::detail::{self, Why, Wording};
use crate::geo::Geography;
use crate::status::Status;

pub(super) fn idt_bcs<'a>(
    conf: &composites::IdtBcs,
    values: &Values<'a>,
    geo: &Geography,
    catalog: &Catalog,
    reference: &str,
    words: &dyn Wording,
) -> (Vec<Row<'a>>, CompositeInfo) {
    let reference = conf.reference.as_deref().unwrap_or(reference);
    let detail: Arc<str> = words.idt_setting(&geo.name(reference)).into();
    let component_ids: Vec<Arc<str>> = conf
        .component
        .iter()
        .map(|c| format!("idt_bcs_{}", c.indicator).into())
        .collect();
    let mut info = CompositeInfo::default();
    for id in std::iter::once(IDT_BCS).chain(component_ids.iter().map(|c| &**c)) {
        info.settings.insert(id.to_string(), detail.to_string());
    }
    let idt_id: Arc<str> = IDT_BCS.into();
    let ids: Vec<&str> = conf
        .component
        .iter()
        .map(|c| c.indicator.as_str())
        .collect();
    let mut out = vec![];
    for t in values.territories_with(&ids) {
        for y in values.vintages(t, &ids) {
            let mut total = 0.0;
            let mut worst = Status::Ok;
            let mut lacking = vec![];
            for (c, id) in conf.component.iter().zip(&component_ids) {
                let label = catalog.indicator(&c.indicator).map_or(c.indicator.as_str(), |i| i.label.as_str());
                let lack = |why| words.lack(&detail::Lack::Idt { label, why });
                let cell = match (
                    values.get(t, &c.indicator, y),
                    values.get(reference, &c.indicator, y),
                ) {
                    (Some((Some(x), Status::Ok)), Some((Some(r), Status::Ok))) if r != 0.0 => {
                        (Some(100.0 * (x - r) / r), Status::Ok)
                    }
                    (Some((_, st)), _) if st != Status::Ok => {
                        lacking.push(lack(Why::Status(st)));
                        (None, st)
                    }
                    (Some(_), _) => {
                        lacking.push(lack(Why::ReferenceUnavailable(y)));
                        (None, Status::Missing)
                    }
                    (None, _) => {
                        lacking.push(lack(Why::NoData(y)));
                        (None, Status::Missing)
                    }
                };
                match cell {
                    (Some(v), Status::Ok) => total += c.weight * v,
                    (_, st) => worst = worst.max(st),
                }
                if cell.1 != Status::Missing {
                    out.push(row(t, id, y, cell, &detail));
                }
            }
            if worst == Status::Ok {
                out.push(row(t, &idt_id, y, (Some(total), Status::Ok), &detail));
            } else {
                let why: Arc<str> = words.not_computed(&lacking, &detail).into();
                out.push(row(t, &idt_id, y, (None, worst), &why));
            }
        }
    }
    (out, info)
}
