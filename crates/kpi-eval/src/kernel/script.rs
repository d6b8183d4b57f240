//! Rhai functions called once per row.
use super::{Env, Node, Values};

/// A compiled rhai function as one KPI uses it; the first error stops further calls.
#[derive(Debug)]
pub struct ScriptCall {
    pub script: kpi_script::Script,
    /// Where the function is declared, for messages.
    pub declared_at: String,
    pub error: std::sync::Mutex<Option<String>>,
    /// The script time of the KPI in this run, shared by every function it calls: once spent,
    /// every call fails, and the KPI is `no_data` with the error.
    pub budget: std::sync::Arc<kpi_script::Budget>,
}

impl ScriptCall {
    pub fn failed(&self) -> bool {
        self.error.lock().map_or(true, |e| e.is_some())
    }

    /// Call with one set of arguments; `None` (null) after an error, which is kept.
    pub fn call(
        &self,
        scope: &mut kpi_script::rhai_scope::Scope<'static>,
        args: Vec<kpi_script::ScriptValue>,
    ) -> Option<f64> {
        if self.failed() {
            return None;
        }
        match self.script.call_within(scope, args, Some(&self.budget)) {
            Ok(kpi_script::ScriptValue::Number(x)) => Some(x),
            Ok(kpi_script::ScriptValue::Bool(b)) => Some(if b { 1.0 } else { 0.0 }),
            Ok(_) => None,
            Err(e) => {
                if let Ok(mut slot) = self.error.lock() {
                    slot.get_or_insert_with(|| {
                        format!("rhai function `{}` ({}): {e}", self.script.name, self.declared_at)
                    });
                }
                None
            }
        }
    }
}

/// The function on every selected row, in order (its errors and call counts depend on it).
pub(super) fn eval_script<'d>(call: &ScriptCall, args: &[Node<'d>], sel: &[u32], env: &Env) -> Values<'d> {
    let n = sel.len();
    let columns: Vec<Values> = args.iter().map(|a| a.eval(sel, env)).collect();
    let mut scope = kpi_script::scope();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let values = columns.iter().map(|c| c.script_value(i)).collect();
        out.push(call.call(&mut scope, values).unwrap_or(f64::NAN));
    }
    if call.script.returns == kpi_script::ScriptType::Bool {
        Values::Bool(out.into_iter().map(|x| x == 1.0).collect())
    } else {
        Values::Num(out)
    }
}
