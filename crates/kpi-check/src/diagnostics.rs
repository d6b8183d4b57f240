//! Every diagnostic kpi-check reports, one named constructor each, so the messages live in one place.
use crate::load::{MAX_FILE_BYTES, MAX_IMPORT_DEPTH};
use crate::lower::{ast_span, site};
use kpi_hir::{BinaryOp, TExpr, Type, Unit};
use kpi_schema::{ColumnType, Grouping, TableSchema};
use kpi_syntax::ast::{Ident, Span};
use kpi_syntax::{codes, suggest, Diagnostic, FileId};
use std::path::Path;

/// "did you mean `x`?" with the closest candidate, or `fallback` when none is close.
pub(crate) fn did_you_mean(
    name: &str,
    candidates: impl IntoIterator<Item = impl AsRef<str>>,
    fallback: &str,
) -> String {
    let owned: Vec<String> = candidates.into_iter().map(|c| c.as_ref().to_string()).collect();
    match suggest(name, owned.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => fallback.to_string(),
    }
}

/// A number's unit in words ("a duration in hours").
fn u_desc(u: Unit) -> String {
    Type::Number(u).describe()
}

// ---- Loading files and imports.

pub(crate) fn no_kpi_files(dir: &Path) -> Diagnostic {
    Diagnostic::error(codes::UNREADABLE, format!("no .kpi files in `{}`", dir.display()))
        .help("name a .kpi file or a directory that holds some")
}

pub(crate) fn unreadable_dir(dir: &Path, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(codes::UNREADABLE, format!("cannot read `{}`: {err}", dir.display()))
}

pub(crate) fn file_too_large(shown: &str, bytes: u64) -> Diagnostic {
    Diagnostic::error(
        codes::UNREADABLE,
        format!("`{shown}` is {bytes} bytes; rule files are limited to {MAX_FILE_BYTES}"),
    )
    .help("is this really a .kpi rule file?")
}

pub(crate) fn unreadable_file(shown: &str, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(codes::UNREADABLE, format!("cannot read `{shown}`: {err}"))
        .help("check the path; rules are .kpi files or directories of them")
}

/// A path named on the command line that is a device, a FIFO, a socket.
pub(crate) fn not_a_file(shown: &str, kind: &str) -> Diagnostic {
    Diagnostic::error(codes::UNREADABLE, format!("`{shown}` is {kind}, not a rule file"))
        .help("rules are .kpi files or directories of them; only regular files are read")
}

/// A file named on the command line without the `.kpi` extension.
pub(crate) fn not_a_rule_file(path: &Path) -> Diagnostic {
    let shown = path.display();
    if path.extension().is_some_and(|e| e == "toml") {
        return Diagnostic::error(
            codes::UNREADABLE,
            format!("`{shown}` is a client config, not a rule file"),
        )
        .help(format!("check it with `kpi check --config {shown}`"));
    }
    Diagnostic::error(codes::UNREADABLE, format!("`{shown}` is not a .kpi rule file"))
        .help("rules are .kpi files or directories of them; rename the file if it holds rules")
}

/// A file that holds NUL bytes: binary, not rules. Nothing of it is quoted.
pub(crate) fn not_text(shown: &str) -> Diagnostic {
    Diagnostic::error(codes::INVALID_UTF8, format!("`{shown}` is not a text file"))
        .help("it holds NUL bytes; rule files are plain UTF-8 text (its content is not shown)")
}

pub(crate) fn import_not_kpi(file: FileId, span: Span, target: &Path) -> Diagnostic {
    Diagnostic::error(
        codes::IMPORT_NOT_RULES,
        format!("cannot import `{}`: only .kpi files can be imported", target.display()),
    )
    .at(file, span, "not a .kpi file")
    .help("import rule files (.kpi); a rhai script is named by `fn ... = rhai file \"x.rhai\"`")
}

pub(crate) fn import_unreadable(
    file: FileId,
    span: Span,
    shown: &str,
    err: &crate::load::ReadError,
) -> Diagnostic {
    let code = match err {
        crate::load::ReadError::Io(_) => codes::IMPORT_NOT_FOUND,
        _ => codes::IMPORT_NOT_RULES,
    };
    let why = match err {
        crate::load::ReadError::TooLarge(bytes) => {
            format!("it is {bytes} bytes; rule files are limited to {MAX_FILE_BYTES}")
        }
        err => err.to_string(),
    };
    Diagnostic::error(code, format!("cannot import `{shown}`: {why}"))
        .at(file, span, "imported here")
        .help("import paths are relative to the file that imports them; only regular .kpi files are read")
}

pub(crate) fn import_cycle(file: FileId, span: Span, chain: &[String]) -> Diagnostic {
    Diagnostic::error(codes::IMPORT_CYCLE, format!("import cycle: {}", chain.join(" -> ")))
        .at(file, span, "this import closes the cycle")
        .help("move what both files need into a third file that both import")
}

pub(crate) fn imports_too_deep(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(codes::TOO_DEEP, format!("imports nested more than {MAX_IMPORT_DEPTH} deep"))
        .at(file, span, "one import too many")
        .help("import the shared files directly from the files that need them")
}

pub(crate) fn import_not_found(file: FileId, span: Span, target: &Path) -> Diagnostic {
    Diagnostic::error(codes::IMPORT_NOT_FOUND, format!("cannot find `{}`", target.display()))
        .at(file, span, "imported here")
        .help("import paths are relative to the file that imports them")
}

/// W0003: "... and N more" diagnostics of a file (`None`: without a place) that are not shown.
pub(crate) fn more_not_shown(path: Option<&str>, errors: usize, warnings: usize) -> Diagnostic {
    let plural = |n: usize, what: &str| format!("{n} more {what}{}", if n == 1 { "" } else { "s" });
    let what = match (errors, warnings) {
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
    };
    let place = path.map_or_else(String::new, |p| format!(" in `{p}`"));
    Diagnostic::warning(codes::TOO_MANY, format!("... and {what}{place} not shown"))
        .help("fix the errors shown first: one mistake often causes many; is every file a rule file?")
}

// ---- Declarations: params, functions, duplicates.

pub(crate) fn default_not_literal(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(codes::NOT_CONSTANT, "a param's default must be a literal")
        .at(file, span, "not a literal")
        .help("write a number, percentage, duration, text, date or list")
}

pub(crate) fn use_outside_scorecard(file: FileId, id: &Ident) -> Diagnostic {
    Diagnostic::error(codes::SYNTAX, "`use` belongs inside a scorecard")
        .at(file, id.span, "outside any scorecard")
        .help("move it into `scorecard ... { }`")
}

pub(crate) fn duplicate(what: &str, id: &Ident, file: FileId, first: (FileId, Span)) -> Diagnostic {
    Diagnostic::error(codes::DUPLICATE_ID, format!("{what} `{}` is defined twice", id.name))
        .at(file, id.span, "defined again here")
        .also(first.0, first.1, "first defined here")
        .help(format!("rename one of them; ids of a {what} must be unique"))
}

pub(crate) fn builtin_function_name(file: FileId, name: &Ident) -> Diagnostic {
    Diagnostic::error(codes::DUPLICATE_ID, format!("`{}` is a built-in function", name.name))
        .at(file, name.span, "already defined")
        .help("give the rhai function another name")
}

pub(crate) fn unknown_script_type(file: FileId, ty: &Ident) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_KEYWORD, format!("unknown type `{}`", ty.name))
        .at(file, ty.span, "not a script type")
        .help(did_you_mean(&ty.name, ["number", "bool", "text"], "script types are number, bool and text"))
}

pub(crate) fn text_result(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(codes::SCRIPT, "a rhai function returns a number or a bool")
        .at(file, span, "text results are not supported")
        .help("return a number or a bool; compare text inside the script")
}

pub(crate) fn unreadable_script(
    file: FileId,
    span: Span,
    path: &Path,
    err: &crate::load::ReadError,
) -> Diagnostic {
    let why = match err {
        crate::load::ReadError::TooLarge(bytes) => {
            format!("it is {bytes} bytes; scripts are limited to {}", crate::load::MAX_SCRIPT_BYTES)
        }
        err => err.to_string(),
    };
    Diagnostic::error(codes::SCRIPT, format!("cannot read `{}`: {why}", path.display()))
        .at(file, span, "script file")
        .help("script files are relative to the rule file that names them")
}

pub(crate) fn script_not_rhai(file: FileId, span: Span, path: &Path) -> Diagnostic {
    Diagnostic::error(
        codes::SCRIPT,
        format!("cannot read `{}`: only .rhai files hold rhai functions", path.display()),
    )
    .at(file, span, "not a .rhai file")
    .help("name a .rhai file beside the rule file, e.g. rhai file \"bands.rhai\"")
}

pub(crate) fn script_not_text(file: FileId, span: Span, path: &Path) -> Diagnostic {
    Diagnostic::error(codes::SCRIPT, format!("`{}` is not UTF-8 text", path.display()))
        .at(file, span, "script file")
        .help("rhai scripts are plain UTF-8 text (its content is not shown)")
}

pub(crate) fn script_error(file: FileId, span: Span, label: String, message: &str) -> Diagnostic {
    Diagnostic::error(codes::SCRIPT, format!("rhai: {message}"))
        .at(file, span, label)
        .help("see the rhai book (rhai.rs/book); the function's params are in scope by name")
}

pub(crate) fn unused_param(file: FileId, span: Span, name: &str) -> Diagnostic {
    Diagnostic::warning(codes::UNUSED_PARAM, format!("param `{name}` is never used"))
        .at(file, span, "declared here")
        .help("use it in a KPI, or remove it")
}

// ---- Scorecards: extends, use, remove, period, grouping, weights.

pub(crate) fn extends_cycle(file: FileId, base: &Ident, chain: &[String]) -> Diagnostic {
    Diagnostic::error(codes::EXTENDS_CYCLE, format!("scorecards extend each other: {}", chain.join(" -> ")))
        .at(file, base.span, "this closes the cycle")
        .help("a scorecard can extend another only if that one does not extend it back")
}

pub(crate) fn unknown_base(file: FileId, base: &Ident, scorecards: &[String]) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_KPI, format!("no scorecard `{}` to extend", base.name))
        .at(file, base.span, "not defined in any loaded file")
        .help(did_you_mean(&base.name, scorecards, "import the file that defines it"))
}

pub(crate) fn unknown_use(file: FileId, id: &Ident, kpis: &[String]) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_KPI, format!("no KPI `{}` to use", id.name))
        .at(file, id.span, "not defined in any loaded file")
        .help(did_you_mean(
            &id.name,
            kpis,
            "define it with `kpi ... { }` at the top level of a loaded or imported file",
        ))
}

pub(crate) fn nothing_to_remove(
    file: FileId,
    id: &Ident,
    base: Option<&str>,
    inherited: &[String],
) -> Diagnostic {
    let what = match base {
        Some(b) => format!("`{b}` has no KPI `{}` to remove", id.name),
        None => format!("`remove {}` needs a scorecard that `extends` another", id.name),
    };
    Diagnostic::error(codes::UNKNOWN_KPI, what).at(file, id.span, "nothing to remove").help(did_you_mean(
        &id.name,
        inherited,
        &format!("the inherited KPIs: {}", inherited.join(", ")),
    ))
}

/// `unknown WHAT `name``, labelled "not a WHAT", with the closest candidate or `fallback`.
pub(crate) fn unknown_keyword(
    what: &str,
    name: &Ident,
    file: FileId,
    candidates: &[&str],
    fallback: &str,
) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_KEYWORD, format!("unknown {what} `{}`", name.name))
        .at(file, name.span, format!("not a {what}"))
        .help(did_you_mean(&name.name, candidates.iter().copied(), fallback))
}

pub(crate) fn duplicate_clause(keyword: &str, span: Span, file: FileId, first: Span) -> Diagnostic {
    Diagnostic::error(codes::DUPLICATE_CLAUSE, format!("`{keyword}` is given twice"))
        .at(file, span, "given again here")
        .also(file, first, "first given here")
        .help("keep one of them")
}

/// W0001 for scorecard `name`, whose id is at `span`.
pub(crate) fn weights_sum(file: FileId, span: Span, name: &str, total: f64) -> Diagnostic {
    Diagnostic::warning(codes::WEIGHTS_SUM, format!("the weights of `{name}` sum to {total}"))
        .at(file, span, "weights do not sum to 100")
        .help("scores are normalised by the weights present, but a sum of 100 reads as percentages")
}

// ---- KPI clauses: from, value, unit, weight, scoring.

pub(crate) fn missing_clauses(file: FileId, span: Span, id: &str, list: &str) -> Diagnostic {
    Diagnostic::error(codes::MISSING_CLAUSE, format!("KPI `{id}` has no {list}"))
        .at(file, span, format!("needs {list}"))
        .help("every KPI needs `from`, `value`, `target` and `weight`; see docs/language.md")
}

pub(crate) fn value_not_number(file: FileId, span: Span, ty: &Type) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, format!("a KPI's value must be a number, not {}", ty.describe()))
        .at(file, span, format!("this is {}", ty.describe()))
        .help("to count rows where something holds, write count(condition) or share(condition)")
}

pub(crate) fn declared_unit(file: FileId, span: Span, declared: Unit, inferred: Unit) -> Diagnostic {
    Diagnostic::error(
        codes::DECLARED_UNIT,
        format!("declared unit `{}` but the value is in {}", declared.name(), inferred.name()),
    )
    .at(file, span, "declared here")
    .help(format!("remove the `unit` line, or write `unit {}`", inferred.name()))
}

pub(crate) fn negative_weight(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, "a weight cannot be negative")
        .at(file, span, "negative")
        .help("use 0 to keep a KPI visible without counting it in the score")
}

pub(crate) fn unknown_table(file: FileId, table: &Ident) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_TABLE, format!("unknown table `{}`", table.name))
        .at(file, table.span, "no such table")
        .help(did_you_mean(
            &table.name,
            kpi_schema::TABLES.iter().map(|t| t.name),
            "the tables are resources, clients, tickets, time_entries and surveys",
        ))
}

/// A table with no path to the scorecard's grouping: the KPI's own (`from`) or an aggregated one.
pub(crate) fn not_grouped(
    file: FileId,
    span: Span,
    table: &str,
    g: Grouping,
    aggregated: bool,
) -> Diagnostic {
    let help = if aggregated {
        "aggregate a table that links to the scorecard's grouping"
    } else {
        "use a table that links to the scorecard's grouping"
    };
    Diagnostic::error(codes::BAD_PLACEMENT, format!("`{table}` rows have no {}", g.name()))
        .at(file, span, format!("cannot be grouped per {}", g.name()))
        .help(help)
}

pub(crate) fn by_in_snapshot(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(codes::BAD_PLACEMENT, "a snapshot scorecard has no periods to place rows in")
        .at(file, span, "`by` needs a periodic scorecard")
        .help("use `open at as_of`, or a `where` on the timestamp")
}

/// "timestamps of tickets: created_at, ..."
fn timestamp_help(t: &TableSchema) -> String {
    let names: Vec<&str> =
        t.columns.iter().filter(|c| c.ty == ColumnType::Timestamp).map(|c| c.name).collect();
    format!("timestamps of {}: {}", t.name, names.join(", "))
}

pub(crate) fn by_not_timestamp(
    file: FileId,
    span: Span,
    t: &TableSchema,
    column: &str,
    ty: ColumnType,
) -> Diagnostic {
    Diagnostic::error(codes::BAD_PLACEMENT, format!("`{column}` is {ty}, not a timestamp"))
        .at(file, span, "rows are placed in periods by a timestamp")
        .help(timestamp_help(t))
}

pub(crate) fn unknown_by_column(file: FileId, col: &Ident, t: &TableSchema) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_FIELD, format!("`{}` has no field `{}`", t.name, col.name))
        .at(file, col.span, "no such field")
        .help(did_you_mean(
            &col.name,
            t.columns.iter().filter(|c| c.ty == ColumnType::Timestamp).map(|c| c.name),
            &timestamp_help(t),
        ))
}

pub(crate) fn never_open(file: FileId, span: Span, table: &str) -> Diagnostic {
    let open: Vec<&str> =
        kpi_schema::TABLES.iter().filter(|t| t.lifetime.is_some()).map(|t| t.name).collect();
    Diagnostic::error(codes::BAD_PLACEMENT, format!("`{table}` rows are never open or closed"))
        .at(file, span, "`open at` needs a table whose rows start and end")
        .help(format!("`open at` and `open_at(...)` apply to {}", open.join(", ")))
}

/// A KPI's value named in a row condition (`where revenue > 0`).
pub(crate) fn kpi_in_row(file: FileId, name: &Ident) -> Diagnostic {
    Diagnostic::error(
        codes::KPI_REFERENCE,
        format!(
            "`{}` is a KPI: its value is one number per period and group, not a value of a row",
            name.name
        ),
    )
    .at(file, name.span, "a KPI's value")
    .help("name other KPIs in a `value` only, e.g. `value (revenue - labour_cost) / revenue`")
}

/// A KPI's value named before the KPI is defined in the scorecard (or by itself).
pub(crate) fn kpi_not_yet(file: FileId, name: &Ident, itself: bool) -> Diagnostic {
    let message = if itself {
        format!("KPI `{}` names its own value", name.name)
    } else {
        format!("KPI `{}` is defined later in the scorecard", name.name)
    };
    Diagnostic::error(codes::KPI_REFERENCE, message)
        .at(file, name.span, "not defined before this KPI")
        .help("a KPI's value may name the KPIs listed above it in the same scorecard: move this KPI below it")
}

pub(crate) fn unknown_instant(file: FileId, instant: &Ident, instants: &[&str]) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown instant `{}`", instant.name))
        .at(file, instant.span, "not an instant")
        .help(did_you_mean(&instant.name, instants, "the instants are as_of, period_start and period_end"))
}

pub(crate) fn unknown_scoring(file: FileId, name: &Ident) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_KEYWORD, format!("unknown scoring `{}`", name.name))
        .at(file, name.span, "not a scoring method")
        .help(did_you_mean(
            &name.name,
            ["attainment", "pass_fail", "bands"],
            "scoring is attainment, pass_fail or bands [...]",
        ))
}

pub(crate) fn attainment_out_of_range(file: FileId, span: Span, x: f64) -> Diagnostic {
    Diagnostic::error(codes::BAD_BANDS, format!("attainment {x} is outside 0 to 1"))
        .at(file, span, "out of range")
        .help("attainment is a fraction: 0 is nothing, 1 is the full weight")
}

pub(crate) fn bands_not_increasing(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(codes::BAD_BANDS, "band values must increase")
        .at(file, span, "not above the band before it")
        .help("list bands from the lowest value to the highest")
}

pub(crate) fn too_few_bands(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(codes::BAD_BANDS, "bands need at least two points")
        .at(file, span, "one point")
        .help("e.g. bands [50% => 0, 90% => 1]")
}

// ---- Expressions: types, units, row versus aggregate level.

pub(crate) fn not_bool(e: &TExpr, what: &str) -> Diagnostic {
    let (file, span) = site(e.file, e.span);
    Diagnostic::error(codes::TYPE_MISMATCH, format!("{what} must be true or false, not {}", e.ty.describe()))
        .at(file, span, format!("this is {}", e.ty.describe()))
        .help("compare it with something, e.g. `hours > 0` or `queue = \"Triage\"`")
}

pub(crate) fn not_number(file: FileId, span: Span, what: &str, ty: &Type) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, format!("{what} must be a number, not {}", ty.describe()))
        .at(file, span, format!("this is {}", ty.describe()))
        .help("write a number such as 20")
}

/// A target or band (`what`) in unit `unit` where the KPI's value is in `value`.
pub(crate) fn wrong_unit(
    code: &'static str,
    file: FileId,
    span: Span,
    what: &str,
    unit: Unit,
    value: Unit,
) -> Diagnostic {
    Diagnostic::error(code, format!("the {what} is {} but the value is {}", u_desc(unit), u_desc(value)))
        .at(file, span, format!("{} here", u_desc(unit)))
        .help(match value {
            Unit::Ratio => "write a ratio target as a percentage, e.g. `>= 80%`",
            Unit::Hours => "write a duration target with a unit, e.g. `<= 24h` or `<= 30m`",
            _ => "write a plain number, e.g. `<= 5`",
        })
}

/// A plain number `x` outside 0 to 1 as the `what` (target, band) of a ratio: `>= 80` for `>= 80%`.
/// `param` names the param it came from, with its default.
pub(crate) fn plain_ratio(file: FileId, span: Span, what: &str, x: f64, param: Option<&str>) -> Diagnostic {
    let pct = crate::params::as_percent(x);
    let label = match param {
        Some(name) => format!("param `{name}` is {x}, a plain number"),
        None => "a plain number".to_string(),
    };
    let fix = match param {
        Some(name) => format!("write `param {name} = {pct}`."),
        None => format!("did you mean `{pct}`?"),
    };
    Diagnostic::error(
        codes::PLAIN_RATIO,
        format!("the {what} is {x}, but the value is a ratio (a share from 0 to 1)"),
    )
    .at(file, span, label)
    .help(format!(
        "{fix} A ratio {what} is a percentage; a plain number from 0 to 1 is read as a fraction (0.8 is 80%)"
    ))
}

pub(crate) fn constant_not_number(file: FileId, span: Span, what: &str, ty: &Type) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, format!("the {what} must be a number, not {}", ty.describe()))
        .at(file, span, format!("this is {}", ty.describe()))
        .help("write a number, percentage or duration")
}

pub(crate) fn list_mixes(file: FileId, item: &TExpr, a: &Type, b: &Type) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, format!("a list mixes {} and {}", a.describe(), b.describe()))
        .at(file, ast_span(item.span), format!("this is {}", b.describe()))
        .help("every item of a list has the same type")
}

pub(crate) fn cannot_negate(file: FileId, span: Span, ty: &Type) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, format!("cannot negate {}", ty.describe()))
        .at(file, span, format!("this is {}", ty.describe()))
        .help("`-` applies to numbers and durations")
}

pub(crate) fn row_in_aggregate(e: &TExpr) -> Diagnostic {
    let (file, span) = site(e.file, e.span);
    Diagnostic::error(
        codes::ROW_IN_AGGREGATE,
        "a value of each row where the KPI needs one value for all rows",
    )
    .at(file, span, "a row value")
    .help("wrap it in an aggregate: sum(...), avg(...), min(...), max(...), count(...) or share(...)")
}

pub(crate) fn aggregate_in_row(e: &TExpr) -> Diagnostic {
    let (file, span) = site(e.file, e.span);
    Diagnostic::error(codes::AGGREGATE_IN_ROW, "an aggregate where a value of one row is expected")
        .at(file, span, "aggregates many rows")
        .help("conditions look at one row; to aggregate a row's related rows name them, e.g. count(time_entries)")
}

/// `op` cannot combine the types of `l` and `r`.
pub(crate) fn operand_types(
    op: BinaryOp,
    l: &TExpr,
    r: &TExpr,
    file: FileId,
    span: Span,
    help: &str,
) -> Diagnostic {
    let msg = format!("`{}` cannot combine {} and {}", op.symbol(), l.ty.describe(), r.ty.describe());
    Diagnostic::error(codes::TYPE_MISMATCH, msg)
        .at(file, span, "here")
        .also(file, ast_span(l.span), l.ty.describe())
        .also(file, ast_span(r.span), r.ty.describe())
        .help(help.to_string())
}

/// `op` cannot combine `l` in unit `a` and `r` in unit `b`.
pub(crate) fn operand_units(
    op: BinaryOp,
    (l, a): (&TExpr, Unit),
    (r, b): (&TExpr, Unit),
    file: FileId,
    span: Span,
) -> Diagnostic {
    let msg = format!("`{}` cannot combine {} and {}", op.symbol(), u_desc(a), u_desc(b));
    Diagnostic::error(codes::UNIT_MISMATCH, msg)
        .at(file, span, "units differ")
        .also(file, ast_span(l.span), u_desc(a))
        .also(file, ast_span(r.span), u_desc(b))
        .help("only values in the same unit can be added, subtracted or compared")
}

/// `= null` and friends; `!=` is the negation of `=`, so against null it is always true.
pub(crate) fn null_comparison(file: FileId, span: Span, not_equal: bool) -> Diagnostic {
    let (message, help) = if not_equal {
        ("`!= null` is always true", "test for a present value with `is not null`")
    } else {
        ("a comparison with null is never true", "test for a missing value with `is null`")
    };
    Diagnostic::error(codes::TYPE_MISMATCH, message).at(file, span, "compares with null").help(help)
}

pub(crate) fn in_list_types(file: FileId, span: Span, value: &Type, item: &Type) -> Diagnostic {
    let msg = format!("`in` looks for {} in a list of {}", value.describe(), item.describe());
    Diagnostic::error(codes::TYPE_MISMATCH, msg)
        .at(file, span, "types differ")
        .help("the list's items must be of the same kind as the value")
}

pub(crate) fn unknown_param(file: FileId, name: &Ident, params: &[&str]) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown param `{}`", name.name))
        .at(file, name.span, "not a param")
        .help(did_you_mean(&name.name, params, "declare it with `param NAME = VALUE`, or write a literal"))
}

fn link_names(t: &TableSchema) -> String {
    if t.links.is_empty() {
        return "none".into();
    }
    t.links.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
}

/// `field.x` where `field` is a column: `next` is the part after it.
pub(crate) fn field_not_link(file: FileId, field: &Ident, next: &Ident, table: &TableSchema) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_FIELD, format!("`{}` is a field, not a link", field.name))
        .at(file, next.span, "a field has no fields")
        .help(format!("links of {}: {}", table.name, link_names(table)))
}

pub(crate) fn link_as_value(file: FileId, part: &Ident, target: &TableSchema) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_FIELD, format!("`{}` is a link to {}", part.name, target.name))
        .at(file, part.span, "a link, not a value")
        .help(format!(
            "name one of its fields, e.g. `{}.{}`",
            part.name,
            target.columns.get(1).map_or("id", |c| c.name)
        ))
}

fn singular(table: &str) -> &str {
    match table {
        "tickets" => "ticket",
        "resources" => "resource",
        "clients" => "client",
        "time_entries" => "time entry",
        "surveys" => "survey",
        other => other,
    }
}

fn field_names(t: &TableSchema) -> String {
    t.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

/// A name that `here` does not have; `first` when it starts the path (it could be a param).
pub(crate) fn unknown_field(
    file: FileId,
    part: &Ident,
    here: &TableSchema,
    first: bool,
    candidates: &[String],
) -> Diagnostic {
    let help = if kpi_schema::relation(here.name, &part.name).is_some() {
        format!(
            "`{}` are many rows per {}; aggregate them, e.g. count({})",
            part.name,
            singular(here.name),
            part.name
        )
    } else if kpi_schema::table(&part.name).is_some() {
        format!(
            "`{}` is a table; a KPI reads another table inside an aggregate, e.g. sum({}.FIELD)",
            part.name, part.name
        )
    } else {
        did_you_mean(&part.name, candidates, &format!("fields of {}: {}", here.name, field_names(here)))
    };
    let what = if first { "field or param" } else { "field" };
    Diagnostic::error(codes::UNKNOWN_FIELD, format!("`{}` has no {what} `{}`", here.name, part.name))
        .at(file, part.span, format!("not a field of {}", here.name))
        .help(help)
}

pub(crate) fn not_constant(file: FileId, span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(codes::NOT_CONSTANT, format!("`{what}` is not known before the data is read"))
        .at(file, span, "needs a fixed value here")
        .help("targets, weights, bands, min_rows and param defaults take literals and params")
}

// ---- Calls: built-in functions, aggregates, rhai functions.

pub(crate) fn argument_count(
    file: FileId,
    span: Span,
    name: &str,
    expected: &str,
    given: usize,
) -> Diagnostic {
    Diagnostic::error(codes::ARGUMENT_COUNT, format!("`{name}` takes {expected}"))
        .at(file, span, format!("{given} given"))
        .help(format!("see `{name}` in docs/language.md"))
}

pub(crate) fn filter_in_row_function(file: FileId, filter: Span, name: &str) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, format!("`{name}` takes no `where`"))
        .at(file, filter, "only aggregates filter rows")
        .help("move the condition into the KPI's `where`, or into an aggregate")
}

pub(crate) fn custom_not_text(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, "`custom` takes the column's header as text")
        .at(file, span, "not a string")
        .help("e.g. custom(\"contract_type\")")
}

pub(crate) fn custom_type(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, "the type of a `custom` column is bool, number, text or timestamp")
        .at(file, span, "not a type")
        .help("e.g. custom(\"made_sla\", bool), declared in the profile as [tickets.extra] made_sla = { type = \"bool\" }")
}

pub(crate) fn coalesce_mixes(file: FileId, arg: &TExpr, ty: &Type) -> Diagnostic {
    Diagnostic::error(
        codes::TYPE_MISMATCH,
        format!("`coalesce` mixes {} and {}", ty.describe(), arg.ty.describe()),
    )
    .at(file, ast_span(arg.span), "different kind")
    .help("every argument of coalesce has the same type")
}

pub(crate) fn not_timestamp(file: FileId, name: &str, arg: &TExpr) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, format!("`{name}` takes a timestamp, not {}", arg.ty.describe()))
        .at(file, ast_span(arg.span), "not a timestamp")
        .help("e.g. hour(created_at)")
}

pub(crate) fn unknown_function(file: FileId, name: &Ident, functions: &[&str]) -> Diagnostic {
    Diagnostic::error(codes::UNKNOWN_FUNCTION, format!("unknown function `{}`", name.name))
        .at(file, name.span, "no such function")
        .help(did_you_mean(&name.name, functions, "see the functions in docs/language.md"))
}

pub(crate) fn script_argument_count(
    file: FileId,
    span: Span,
    name: &str,
    params: usize,
    given: usize,
) -> Diagnostic {
    Diagnostic::error(codes::ARGUMENT_COUNT, format!("`{name}` takes {params} arguments"))
        .at(file, span, format!("{given} given"))
        .help("match the parameters of the `fn` declaration")
}

pub(crate) fn script_argument_type(file: FileId, name: &str, expected: &str, arg: &TExpr) -> Diagnostic {
    Diagnostic::error(
        codes::TYPE_MISMATCH,
        format!("`{name}` takes {expected} here, not {}", arg.ty.describe()),
    )
    .at(file, ast_span(arg.span), format!("this is {}", arg.ty.describe()))
    .help("convert first: hour(ts) and weekday(ts) turn timestamps into numbers")
}

pub(crate) fn filter_not_last(file: FileId, filter: Span, name: &str) -> Diagnostic {
    Diagnostic::error(codes::TYPE_MISMATCH, "`where` goes after the last argument")
        .at(file, filter, "filters the whole aggregate")
        .help(format!("e.g. {name}(a, b where condition)"))
}
