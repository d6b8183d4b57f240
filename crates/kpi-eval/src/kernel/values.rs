//! The values of a node for a chunk of rows, and the leaves that read them: constants and columns.
use super::{Env, Node, NumSource, Via, NULL_TIME};
use kpi_data::{TextColumn, NULL_CODE};

/// The values of a node for a selection of rows.
pub enum Values<'d> {
    Num(Vec<f64>),
    Bool(Vec<bool>),
    Time(Vec<i64>),
    Text(Vec<u32>, Option<&'d TextColumn>),
}

impl<'d> Values<'d> {
    pub fn num(self) -> Vec<f64> {
        match self {
            Values::Num(v) => v,
            Values::Time(v) => {
                v.into_iter().map(|t| if t == NULL_TIME { f64::NAN } else { t as f64 }).collect()
            }
            Values::Bool(v) => v.into_iter().map(|b| if b { 1.0 } else { 0.0 }).collect(),
            Values::Text(v, _) => vec![f64::NAN; v.len()],
        }
    }

    pub fn bool(self) -> Vec<bool> {
        match self {
            Values::Bool(v) => v,
            Values::Num(v) => v.into_iter().map(|x| x != 0.0 && !x.is_nan()).collect(),
            Values::Time(v) => vec![false; v.len()],
            Values::Text(v, _) => vec![false; v.len()],
        }
    }

    pub fn time(self) -> Vec<i64> {
        match self {
            Values::Time(v) => v,
            Values::Num(v) => v.into_iter().map(|x| if x.is_nan() { NULL_TIME } else { x as i64 }).collect(),
            other => vec![NULL_TIME; other.len()],
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Values::Num(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Time(v) => v.len(),
            Values::Text(v, _) => v.len(),
        }
    }

    /// Row `i` as a script argument.
    pub(super) fn script_value(&self, i: usize) -> kpi_script::ScriptValue {
        use kpi_script::ScriptValue as V;
        match self {
            Values::Num(v) if v[i].is_nan() => V::Null,
            Values::Num(v) => V::Number(v[i]),
            Values::Bool(v) => V::Bool(v[i]),
            Values::Time(v) if v[i] == NULL_TIME => V::Null,
            Values::Time(v) => V::Number(v[i] as f64),
            Values::Text(codes, dict) => match dict.and_then(|d| d.text(codes[i])) {
                Some(s) => V::Text(s.to_string()),
                None => V::Null,
            },
        }
    }

    pub(super) fn is_null(&self) -> Vec<bool> {
        match self {
            Values::Num(v) => v.iter().map(|x| x.is_nan()).collect(),
            Values::Time(v) => v.iter().map(|&t| t == NULL_TIME).collect(),
            Values::Text(v, _) => v.iter().map(|&c| c == NULL_CODE).collect(),
            Values::Bool(v) => vec![false; v.len()],
        }
    }
}

fn gather<T: Copy>(values: &[T], valid: Option<&[bool]>, via: &Via, sel: &[u32], null: T) -> Vec<T> {
    let read = |r: u32| {
        if r == u32::MAX || valid.is_some_and(|v| !v[r as usize]) {
            null
        } else {
            values[r as usize]
        }
    };
    match via.rows(sel) {
        Some(rows) => rows.into_iter().map(read).collect(),
        None => sel.iter().map(|&r| read(r)).collect(),
    }
}

impl<'d> Node<'d> {
    /// Constants and columns.
    pub(super) fn eval_leaf(&self, sel: &[u32], env: &Env) -> Values<'d> {
        let n = sel.len();
        match self {
            Node::Num(x) => Values::Num(vec![*x; n]),
            Node::Bool(b) => Values::Bool(vec![*b; n]),
            Node::Time(t) => Values::Time(vec![*t; n]),
            Node::Text(_) => Values::Text(vec![NULL_CODE; n], None),
            Node::Instant(i) => Values::Time(vec![env.instants.get(*i); n]),
            Node::NumCol { via, values, valid } => Values::Num(match values {
                NumSource::F64(v) => gather(v, *valid, via, sel, f64::NAN),
                NumSource::I64(v) => {
                    let ints = gather(v, *valid, via, sel, i64::MIN);
                    ints.into_iter().map(|x| if x == i64::MIN { f64::NAN } else { x as f64 }).collect()
                }
            }),
            Node::BoolCol { via, values, valid } => Values::Bool(gather(values, *valid, via, sel, false)),
            Node::TimeCol { via, values, valid } => Values::Time(gather(values, *valid, via, sel, NULL_TIME)),
            Node::TextCol { via, column } => {
                Values::Text(gather(&column.codes, None, via, sel, NULL_CODE), Some(column))
            }
            _ => unreachable!("not a constant or a column"),
        }
    }
}
