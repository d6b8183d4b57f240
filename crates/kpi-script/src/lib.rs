//! The rhai escape hatch: functions written in rhai for what the `.kpi` language cannot say.
//!
//! Sandboxed as the rhai book's safety chapter advises: a raw engine with only the arithmetic,
//! logic, math and string packages, no modules or `eval`, limits on operations, call levels,
//! expression depth and string/array/map sizes, and a wall-clock deadline per call. Scripts are
//! compiled once per run; rule files without scripts never create an engine.
#![forbid(unsafe_code)]

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicMathPackage, BasicStringPackage, LanguageCorePackage,
    LogicPackage, MoreStringPackage, Package,
};
use rhai::{CallFnOptions, Dynamic, Engine, Scope, AST};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Limits every script call runs under.
pub const MAX_OPERATIONS: u64 = 1_000_000;
pub const MAX_CALL_LEVELS: usize = 32;
pub const MAX_STRING_SIZE: usize = 10_000;
pub const MAX_COLLECTION_SIZE: usize = 10_000;
pub const DEADLINE: Duration = Duration::from_millis(250);

thread_local! {
    /// When the running call must stop; checked from the engine's progress callback.
    static CALL_DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The sandboxed engine, built once per process on first use.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut engine = Engine::new_raw();
        for module in [
            LanguageCorePackage::new().as_shared_module(),
            ArithmeticPackage::new().as_shared_module(),
            LogicPackage::new().as_shared_module(),
            BasicMathPackage::new().as_shared_module(),
            BasicStringPackage::new().as_shared_module(),
            MoreStringPackage::new().as_shared_module(),
            BasicArrayPackage::new().as_shared_module(),
        ] {
            engine.register_global_module(module);
        }
        engine.disable_symbol("eval");
        // The core package's `sleep` blocks the thread past every deadline: scripts never wait.
        fn refuse<T>(_: T) -> Result<(), Box<rhai::EvalAltResult>> {
            Err("`sleep` is not available: kpi scripts never wait".into())
        }
        engine.register_fn("sleep", refuse::<rhai::INT>);
        engine.register_fn("sleep", refuse::<rhai::FLOAT>);
        engine.set_max_operations(MAX_OPERATIONS);
        engine.set_max_call_levels(MAX_CALL_LEVELS);
        engine.set_max_expr_depths(64, 32);
        engine.set_max_string_size(MAX_STRING_SIZE);
        engine.set_max_array_size(MAX_COLLECTION_SIZE);
        engine.set_max_map_size(MAX_COLLECTION_SIZE);
        engine.on_progress(|ops| {
            if ops % 1024 != 0 {
                return None;
            }
            let late = CALL_DEADLINE.with(|d| d.get()).is_some_and(|deadline| Instant::now() > deadline);
            late.then(|| Dynamic::from("deadline"))
        });
        engine.on_print(|_| {});
        engine.on_debug(|_, _, _| {});
        engine
    })
}

/// The script time one KPI may spend in one run, over all its calls on every thread: a legal but
/// slow script stops there instead of turning a large dataset into hours of work.
#[derive(Debug)]
pub struct Budget {
    limit: Duration,
    spent_micros: AtomicU64,
}

impl Budget {
    /// The default budget of script time per KPI per run.
    pub const DEFAULT: Duration = Duration::from_secs(60);

    pub fn new(limit: Duration) -> Budget {
        Budget { limit, spent_micros: AtomicU64::new(0) }
    }

    fn remaining(&self) -> Duration {
        self.limit.saturating_sub(Duration::from_micros(self.spent_micros.load(Ordering::Relaxed)))
    }

    fn spend(&self, took: Duration) {
        self.spent_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }
}

/// The type of a parameter or result, as declared in the rule file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptType {
    Number,
    Bool,
    Text,
}

impl ScriptType {
    pub fn from_name(name: &str) -> Option<ScriptType> {
        Some(match name {
            "number" => ScriptType::Number,
            "bool" => ScriptType::Bool,
            "text" => ScriptType::Text,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ScriptType::Number => "number",
            ScriptType::Bool => "bool",
            ScriptType::Text => "text",
        }
    }
}

/// Where a script error happened: 1-based line and column in the file that holds the code.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

/// Where the code sits in its file, to map rhai positions back to it.
#[derive(Debug, Clone)]
pub struct Placement {
    pub file: String,
    /// 1-based line and column of the code's first character.
    pub line: usize,
    pub column: usize,
}

/// A compiled script function.
#[derive(Debug, Clone)]
pub struct Script {
    pub name: String,
    pub params: Vec<ScriptType>,
    pub returns: ScriptType,
    ast: Arc<AST>,
    placement: Placement,
    /// Columns the wrapper adds before an inline body's first line.
    prefix: usize,
}

/// An argument or result value.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptValue {
    Null,
    Number(f64),
    Bool(bool),
    Text(String),
}

impl Script {
    /// An inline body (`""" ... """`): statements whose last value is the result, with the params in scope.
    pub fn inline(
        name: &str,
        params: &[(String, ScriptType)],
        returns: ScriptType,
        code: &str,
        placement: Placement,
    ) -> Result<Script, ScriptError> {
        let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
        let prefix = format!("fn {name}({}) {{ ", names.join(", "));
        let source = format!("{prefix}{code}\n}}");
        Script::compile(name, params, returns, &source, placement, prefix.chars().count())
    }

    /// A `.rhai` file that defines `fn name(...)`.
    pub fn file(
        name: &str,
        params: &[(String, ScriptType)],
        returns: ScriptType,
        code: &str,
        placement: Placement,
    ) -> Result<Script, ScriptError> {
        Script::compile(name, params, returns, code, placement, 0)
    }

    fn compile(
        name: &str,
        params: &[(String, ScriptType)],
        returns: ScriptType,
        source: &str,
        placement: Placement,
        prefix: usize,
    ) -> Result<Script, ScriptError> {
        let mut script = Script {
            name: name.to_string(),
            params: params.iter().map(|(_, t)| *t).collect(),
            returns,
            ast: Arc::new(AST::empty()),
            placement,
            prefix,
        };
        let ast = engine().compile(source).map_err(|e| script.error(e.1, &e.0.to_string()))?;
        if !ast.iter_functions().any(|f| f.name == name && f.params.len() == params.len()) {
            return Err(script.error(
                rhai::Position::new(1, 1),
                &format!("the script defines no `fn {name}` with {} parameters", params.len()),
            ));
        }
        script.ast = Arc::new(ast);
        Ok(script)
    }

    /// `file:line` where the code starts.
    pub fn declared_at(&self) -> String {
        format!("{}:{}", self.placement.file, self.placement.line)
    }

    fn error(&self, pos: rhai::Position, message: &str) -> ScriptError {
        let (line, column) = match (pos.line(), pos.position()) {
            (Some(l), c) => {
                let c = c.unwrap_or(1);
                if l == 1 {
                    (
                        self.placement.line,
                        self.placement.column + c.saturating_sub(1).saturating_sub(self.prefix),
                    )
                } else {
                    (self.placement.line + l - 1, c)
                }
            }
            (None, _) => (self.placement.line, self.placement.column),
        };
        ScriptError { file: self.placement.file.clone(), line, column, message: message.to_string() }
    }

    /// Call the function. Limits and the deadline turn runaway scripts into errors.
    pub fn call(&self, scope: &mut Scope, args: Vec<ScriptValue>) -> Result<ScriptValue, ScriptError> {
        self.call_within(scope, args, None)
    }

    /// Call the function, charging the time it takes to `budget`: once the budget is spent,
    /// every call is an error.
    pub fn call_within(
        &self,
        scope: &mut Scope,
        args: Vec<ScriptValue>,
        budget: Option<&Budget>,
    ) -> Result<ScriptValue, ScriptError> {
        let remaining = budget.map_or(DEADLINE, Budget::remaining);
        let budget_exhausted = |budget: &Budget| {
            format!(
                "stopped: this KPI's scripts took their whole budget of {} s in this run (raise \
                 `script_budget` in the client config, or pass --script-budget SECONDS, if the \
                 scripts are right but slow)",
                budget.limit.as_secs_f64()
            )
        };
        if let Some(budget) = budget.filter(|_| remaining.is_zero()) {
            return Err(self.error(rhai::Position::NONE, &budget_exhausted(budget)));
        }
        let started = Instant::now();
        let args: Vec<Dynamic> = args
            .into_iter()
            .map(|a| match a {
                ScriptValue::Null => Dynamic::UNIT,
                ScriptValue::Number(x) => Dynamic::from_float(x),
                ScriptValue::Bool(b) => Dynamic::from_bool(b),
                ScriptValue::Text(s) => Dynamic::from(s),
            })
            .collect();
        CALL_DEADLINE.with(|d| d.set(Some(started + DEADLINE.min(remaining))));
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let result = engine().call_fn_with_options::<Dynamic>(options, scope, &self.ast, &self.name, args);
        CALL_DEADLINE.with(|d| d.set(None));
        if let Some(budget) = budget {
            budget.spend(started.elapsed());
        }
        let value = result.map_err(|e| {
            let pos = e.position();
            let message = match *e {
                rhai::EvalAltResult::ErrorTerminated(..) => match budget {
                    Some(budget) if remaining < DEADLINE => budget_exhausted(budget),
                    _ => format!("stopped after {} ms: the script ran too long", DEADLINE.as_millis()),
                },
                rhai::EvalAltResult::ErrorTooManyOperations(..) => {
                    format!("stopped after {MAX_OPERATIONS} operations: an endless loop?")
                }
                rhai::EvalAltResult::ErrorStackOverflow(..) => {
                    format!("stopped at {MAX_CALL_LEVELS} nested calls: endless recursion?")
                }
                rhai::EvalAltResult::ErrorDataTooLarge(ref what, ..) => {
                    format!("stopped: {what} grew over the limit ({MAX_STRING_SIZE} characters / {MAX_COLLECTION_SIZE} items)")
                }
                other => other.to_string(),
            };
            self.error(pos, &message)
        })?;
        self.convert(value)
    }

    fn convert(&self, value: Dynamic) -> Result<ScriptValue, ScriptError> {
        if value.is_unit() {
            return Ok(ScriptValue::Null);
        }
        let converted = match self.returns {
            ScriptType::Number => value
                .as_float()
                .ok()
                .or_else(|| value.as_int().ok().map(|i| i as f64))
                .map(ScriptValue::Number),
            ScriptType::Bool => value.as_bool().ok().map(ScriptValue::Bool),
            ScriptType::Text => value.into_immutable_string().ok().map(|s| ScriptValue::Text(s.to_string())),
        };
        converted.ok_or_else(|| {
            self.error(
                rhai::Position::NONE,
                &format!("`{}` returned a value that is not {} as declared", self.name, self.returns.name()),
            )
        })
    }
}

/// A fresh scope for a run of calls (reused across rows).
pub fn scope() -> Scope<'static> {
    Scope::new()
}

/// The scope type callers hold between calls.
pub mod rhai_scope {
    pub use rhai::Scope;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place() -> Placement {
        Placement { file: "rules.kpi".into(), line: 10, column: 5 }
    }

    fn num(x: f64) -> ScriptValue {
        ScriptValue::Number(x)
    }

    #[test]
    fn inline_function_runs() {
        let s = Script::inline(
            "outside_hours",
            &[("hour".into(), ScriptType::Number), ("weekday".into(), ScriptType::Number)],
            ScriptType::Bool,
            "hour < 8.0 || hour >= 18.0 || weekday > 5.0",
            place(),
        )
        .unwrap();
        let mut scope = scope();
        assert_eq!(s.call(&mut scope, vec![num(7.0), num(2.0)]).unwrap(), ScriptValue::Bool(true));
        assert_eq!(s.call(&mut scope, vec![num(9.0), num(2.0)]).unwrap(), ScriptValue::Bool(false));
    }

    #[test]
    fn syntax_errors_point_into_the_rule_file() {
        let err = Script::inline("f", &[], ScriptType::Number, "1 +\n  * 2", place()).unwrap_err();
        assert_eq!(err.file, "rules.kpi");
        assert_eq!(err.line, 11, "{err}");
    }

    #[test]
    fn runaway_scripts_stop_quickly() {
        let started = Instant::now();
        let scripts = [
            Script::inline("f", &[], ScriptType::Number, "loop { }", place()),
            Script::file("f", &[], ScriptType::Number, "fn f() { f() }", place()),
            Script::inline("f", &[], ScriptType::Number, "let s = \"x\"; loop { s += s; }", place()),
        ];
        for s in scripts {
            let err = s.unwrap().call(&mut scope(), vec![]).unwrap_err();
            assert!(err.message.starts_with("stopped"), "{err}");
        }
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_spent_budget_stops_every_later_call() {
        let body = "let n = 0; while n < 20000 { n += 1; } n";
        let s = Script::inline("f", &[], ScriptType::Number, body, place()).unwrap();
        let budget = Budget::new(Duration::from_millis(30));
        let mut scope = scope();
        let started = Instant::now();
        let mut calls = 0;
        let err = loop {
            match s.call_within(&mut scope, vec![], Some(&budget)) {
                Ok(_) => calls += 1,
                Err(e) => break e,
            }
            assert!(calls < 100_000, "the budget never ran out");
        };
        assert!(err.message.contains("whole budget"), "{err}");
        assert!(s.call_within(&mut scope, vec![], Some(&budget)).is_err());
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn no_blocking_functions() {
        let started = Instant::now();
        for arg in ["100", "100.0"] {
            let s =
                Script::inline("f", &[], ScriptType::Number, &format!("sleep({arg}); 1"), place()).unwrap();
            let err = s.call(&mut scope(), vec![]).unwrap_err();
            assert!(err.message.contains("`sleep` is not available"), "{err}");
        }
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn no_eval_and_no_modules() {
        assert!(Script::inline("f", &[], ScriptType::Number, "eval(\"1\")", place()).is_err());
        assert!(Script::inline("f", &[], ScriptType::Number, "import \"x\" as y; 1", place()).is_err());
    }

    #[test]
    fn wrong_result_type_is_an_error() {
        let s = Script::inline("f", &[], ScriptType::Bool, "\"text\"", place()).unwrap();
        assert!(s.call(&mut scope(), vec![]).is_err());
    }
}
