//! What one scripted row costs: a typical predicate called through the sandboxed engine.
use criterion::{criterion_group, criterion_main, Criterion};
use kpi_script::{Placement, Script, ScriptType, ScriptValue};

fn bench(c: &mut Criterion) {
    let script = Script::inline(
        "outside_hours",
        &[("hour".into(), ScriptType::Number), ("weekday".into(), ScriptType::Number)],
        ScriptType::Bool,
        "hour < 8.0 || hour >= 18.0 || weekday > 5.0",
        Placement { file: "bench.kpi".into(), line: 1, column: 1 },
    )
    .expect("compiles");
    let mut scope = kpi_script::scope();
    let mut hour = 0.0;
    c.bench_function("scripted row (predicate, 2 args)", |b| {
        b.iter(|| {
            hour = (hour + 1.0) % 24.0;
            script.call(&mut scope, vec![ScriptValue::Number(hour), ScriptValue::Number(3.0)]).expect("runs")
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
