//! Scorecards: `extends` (with cycles), `use`, `remove`, period, grouping, and their weights.
use super::{Checker, Layered, Resolved};
use crate::diagnostics as diag;
use crate::load::Rules;
use crate::lower::origin;
use kpi_hir::{Grain, KpiDef, ScorecardDef};
use kpi_schema::Grouping;
use kpi_syntax::ast::{self, Ident, Item, Member, Span};
use kpi_syntax::FileId;
use std::collections::HashMap;

impl<'a> Checker<'a> {
    pub(super) fn check_scorecards(&mut self, rules: &'a Rules) {
        for m in &rules.modules {
            for item in &m.module.items {
                let Item::Scorecard(s) = item else { continue };
                if let Some((first_file, first)) = self.scorecard_asts.get(&s.id.name) {
                    let first = origin(*first_file, first.id.span);
                    self.duplicate("scorecard", &s.id, m.file, first);
                    continue;
                }
                self.scorecard_asts.insert(s.id.name.clone(), (m.file, s));
            }
        }
        for m in &rules.modules {
            for item in &m.module.items {
                let Item::Scorecard(s) = item else { continue };
                if !self.scorecard_asts.get(&s.id.name).is_some_and(|(_, first)| std::ptr::eq(*first, s)) {
                    continue;
                }
                if let Some(card) = self.check_scorecard(m.file, s, m.root) {
                    self.program.scorecards.push(card);
                }
            }
        }
    }

    /// The period, grouping and KPI layers of a scorecard, following `extends` (memoised).
    fn resolve_scorecard(
        &mut self,
        file: FileId,
        s: &'a ast::Scorecard,
        stack: &mut Vec<String>,
    ) -> Option<Resolved<'a>> {
        if let Some(r) = self.resolved.get(&s.id.name) {
            return r.clone();
        }
        stack.push(s.id.name.clone());
        let mut resolved = match &s.extends {
            None => Resolved::default(),
            Some(base) => self.resolve_base(file, base, stack),
        };
        let base_name = s.extends.as_ref().map(|b| b.name.as_str());
        let mut own_grain = false;
        let mut own_group = false;
        let mut ids: HashMap<String, Span> = HashMap::new();
        for member in &s.members {
            match member {
                Member::Period(g) => self.member_period(file, g, &mut own_grain, &mut resolved),
                Member::Per(g) => self.member_per(file, g, &mut own_group, &mut resolved),
                Member::Kpi(k) => {
                    if !self.repeated_id(&mut ids, &k.id, file) {
                        self.member_kpi(file, k, &mut resolved);
                    }
                }
                Member::Use(u) => {
                    if !self.repeated_id(&mut ids, &u.id, file) {
                        self.member_use(file, u, &mut resolved);
                    }
                }
                Member::Remove(id) => self.member_remove(file, id, base_name, &mut resolved),
            }
        }
        stack.pop();
        self.resolved.insert(s.id.name.clone(), Some(resolved.clone()));
        Some(resolved)
    }

    /// What `extends base` brings: the base resolved, or nothing after an error.
    fn resolve_base(&mut self, file: FileId, base: &Ident, stack: &mut Vec<String>) -> Resolved<'a> {
        let base_ast = self.scorecard_asts.get(&base.name).copied();
        match base_ast {
            _ if stack.contains(&base.name) => {
                let chain = stack.iter().chain(std::iter::once(&base.name)).cloned().collect::<Vec<_>>();
                self.error(diag::extends_cycle(file, base, &chain));
                Resolved::default()
            }
            Some((base_file, base_ast)) => {
                self.resolve_scorecard(base_file, base_ast, stack).unwrap_or_default()
            }
            None => {
                let mut names: Vec<String> = self.scorecard_asts.keys().cloned().collect();
                names.sort();
                self.error(diag::unknown_base(file, base, &names));
                Resolved::default()
            }
        }
    }

    fn member_period(&mut self, file: FileId, g: &Ident, own: &mut bool, resolved: &mut Resolved<'a>) {
        if *own {
            self.error(diag::duplicate_clause(
                "period",
                g.span,
                file,
                resolved.grain.map_or(g.span, |(_, s)| s),
            ));
            return;
        }
        *own = true;
        match Grain::ALL.into_iter().find(|x| x.name() == g.name) {
            Some(x) => resolved.grain = Some((x, g.span)),
            None => self.error(diag::unknown_keyword(
                "period",
                g,
                file,
                &Grain::ALL.map(Grain::name),
                "periods are week, month, quarter, year and snapshot",
            )),
        }
    }

    fn member_per(&mut self, file: FileId, g: &Ident, own: &mut bool, resolved: &mut Resolved<'a>) {
        if *own {
            self.error(diag::duplicate_clause(
                "per",
                g.span,
                file,
                resolved.group.map_or(g.span, |(_, s)| s),
            ));
            return;
        }
        *own = true;
        match Grouping::from_name(&g.name) {
            Some(x) => resolved.group = Some((Some(x), g.span)),
            None => {
                resolved.group = Some((None, g.span));
                self.error(diag::unknown_keyword(
                    "grouping",
                    g,
                    file,
                    &Grouping::ALL.map(Grouping::name),
                    "scorecards group per resource, client, team, queue, contract_type, device_type, category or reason",
                ))
            }
        }
    }

    fn member_kpi(&mut self, file: FileId, k: &'a ast::Kpi, resolved: &mut Resolved<'a>) {
        let layered = Layered {
            id: &k.id,
            site_file: file,
            layers: vec![(file, &k.clauses, k.span)],
            title: k.title.as_ref(),
            doc: &k.doc,
        };
        // A KPI with the id of an inherited one replaces it.
        match resolved.kpis.iter_mut().find(|l| l.id.name == k.id.name) {
            Some(slot) => *slot = layered,
            None => resolved.kpis.push(layered),
        }
    }

    fn member_use(&mut self, file: FileId, u: &'a ast::UseKpi, resolved: &mut Resolved<'a>) {
        // `use` of an inherited KPI overrides some of its clauses.
        if let Some(slot) = resolved.kpis.iter_mut().find(|l| l.id.name == u.id.name) {
            slot.layers.push((file, &u.clauses, u.span));
            slot.id = &u.id;
            slot.site_file = file;
            slot.title = u.title.as_ref().or(slot.title);
            if !u.doc.is_empty() {
                slot.doc = &u.doc;
            }
            return;
        }
        self.used_kpis.insert(u.id.name.clone());
        let Some(base) = self.kpis.get(&u.id.name).copied() else {
            let mut names: Vec<String> = self.kpis.keys().cloned().collect();
            names.extend(resolved.kpis.iter().map(|l| l.id.name.clone()));
            names.sort();
            self.error(diag::unknown_use(file, &u.id, &names));
            return;
        };
        resolved.kpis.push(Layered {
            id: &u.id,
            site_file: file,
            layers: vec![(base.file, &base.kpi.clauses, base.kpi.span), (file, &u.clauses, u.span)],
            title: u.title.as_ref().or(base.kpi.title.as_ref()),
            doc: if u.doc.is_empty() { &base.kpi.doc } else { &u.doc },
        });
    }

    fn member_remove(&mut self, file: FileId, id: &Ident, base: Option<&str>, resolved: &mut Resolved<'a>) {
        let Some(pos) = resolved.kpis.iter().position(|l| l.id.name == id.name) else {
            let names: Vec<String> = resolved.kpis.iter().map(|l| l.id.name.clone()).collect();
            self.error(diag::nothing_to_remove(file, id, base, &names));
            return;
        };
        resolved.kpis.remove(pos);
    }

    fn repeated_id(&mut self, ids: &mut HashMap<String, Span>, id: &Ident, file: FileId) -> bool {
        if let Some(first) = ids.get(&id.name) {
            self.duplicate("KPI", id, file, origin(file, *first));
            return true;
        }
        ids.insert(id.name.clone(), id.span);
        false
    }

    fn check_scorecard(&mut self, file: FileId, s: &'a ast::Scorecard, root: bool) -> Option<ScorecardDef> {
        let resolved = self.resolve_scorecard(file, s, &mut Vec::new())?;
        let grain = resolved.grain.map_or(Grain::Month, |(g, _)| g);
        let group = resolved.group.and_then(|(g, _)| g);
        let mut kpis: Vec<KpiDef> = Vec::new();
        for (i, layered) in resolved.kpis.iter().enumerate() {
            self.card = Some(super::CardKpis {
                earlier: kpis.clone(),
                current: layered.id.name.clone(),
                later: resolved.kpis[i + 1..].iter().map(|l| l.id.name.clone()).collect(),
            });
            let def = self.check_kpi(layered, grain, group);
            self.card = None;
            if let Some(def) = def {
                kpis.push(def);
            }
        }
        let total: f64 = kpis.iter().filter_map(|k| self.const_number(&k.weight)).sum();
        // With a broken KPI the sum would mislead; the broken KPI's own error says enough.
        if !kpis.is_empty() && kpis.len() == resolved.kpis.len() && (total - 100.0).abs() > 1e-9 {
            self.error(diag::weights_sum(file, s.id.span, &s.id.name, total));
        }
        let base = s.extends.as_ref().and_then(|b| self.program.scorecard(&b.name));
        Some(ScorecardDef {
            id: s.id.name.clone(),
            title: s
                .title
                .as_ref()
                .map(|t| t.value.clone())
                .or_else(|| base.map(|b| b.title.clone()))
                .unwrap_or_else(|| s.id.name.clone()),
            doc: if s.doc.is_empty() {
                base.map(|b| b.doc.clone()).unwrap_or_default()
            } else {
                s.doc.join("\n")
            },
            grain,
            group_by: group,
            kpis,
            root,
            origin: origin(file, s.id.span),
        })
    }

    /// KPIs defined at the top level but used by no scorecard are still checked, per month and ungrouped.
    pub(super) fn check_unused_kpis(&mut self, rules: &'a Rules) {
        for m in &rules.modules {
            for item in &m.module.items {
                if let Item::Kpi(k) = item {
                    if !self.used_kpis.contains(&k.id.name) {
                        let layered = Layered {
                            id: &k.id,
                            site_file: m.file,
                            layers: vec![(m.file, &k.clauses, k.span)],
                            title: k.title.as_ref(),
                            doc: &k.doc,
                        };
                        self.check_kpi(&layered, Grain::Month, None);
                    }
                }
            }
        }
    }
}
