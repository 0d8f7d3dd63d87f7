//! The budgets criterion measures in-process, in one binary: `cargo bench --bench budgets`, or
//! a filter such as `cargo bench --bench budgets -- alerts`. The pipelines budgets, measured
//! against the sim over HTTP, are `cargo bench --bench pipelines`.

mod alerts;
mod catalog;
mod delivery;
mod docs;
mod sanitize;
mod scaffold;
mod scale;
mod signals;
mod view;
mod work;
mod workloads;

criterion::criterion_main!(
    alerts::alerts,
    catalog::catalog,
    delivery::delivery,
    docs::docs,
    sanitize::sanitize,
    scaffold::scaffold,
    scale::scale,
    signals::signals,
    view::view,
    work::work,
    workloads::workloads
);
