//! Conversions between the syntax tree's positions and operators and the checked program's.
use kpi_hir as hir;
use kpi_syntax::ast;
use kpi_syntax::FileId;

/// Syntax to the checked program.
pub(crate) trait Lower {
    type Hir;
    fn lower(self) -> Self::Hir;
}

impl Lower for ast::Span {
    type Hir = hir::Span;
    fn lower(self) -> hir::Span {
        hir::Span { start: self.start, end: self.end }
    }
}

impl Lower for FileId {
    type Hir = hir::FileId;
    fn lower(self) -> hir::FileId {
        hir::FileId(self.0)
    }
}

impl Lower for ast::CmpOp {
    type Hir = hir::CmpOp;
    fn lower(self) -> hir::CmpOp {
        match self {
            ast::CmpOp::Ge => hir::CmpOp::Ge,
            ast::CmpOp::Gt => hir::CmpOp::Gt,
            ast::CmpOp::Le => hir::CmpOp::Le,
            ast::CmpOp::Lt => hir::CmpOp::Lt,
        }
    }
}

impl Lower for ast::UnaryOp {
    type Hir = hir::UnaryOp;
    fn lower(self) -> hir::UnaryOp {
        match self {
            ast::UnaryOp::Not => hir::UnaryOp::Not,
            ast::UnaryOp::Neg => hir::UnaryOp::Neg,
        }
    }
}

impl Lower for ast::BinaryOp {
    type Hir = hir::BinaryOp;
    fn lower(self) -> hir::BinaryOp {
        use ast::BinaryOp as S;
        use hir::BinaryOp as H;
        match self {
            S::Or => H::Or,
            S::And => H::And,
            S::Eq => H::Eq,
            S::Ne => H::Ne,
            S::Lt => H::Lt,
            S::Le => H::Le,
            S::Gt => H::Gt,
            S::Ge => H::Ge,
            S::In => H::In,
            S::NotIn => H::NotIn,
            S::StartsWith => H::StartsWith,
            S::EndsWith => H::EndsWith,
            S::Contains => H::Contains,
            S::Add => H::Add,
            S::Sub => H::Sub,
            S::Mul => H::Mul,
            S::Div => H::Div,
        }
    }
}

/// Where a definition was written, in the checked program's terms.
pub(crate) fn origin(file: FileId, span: ast::Span) -> hir::Origin {
    hir::Origin { file: file.lower(), span: span.lower() }
}

/// A checked program's position back in syntax terms, for a diagnostic that points at it.
pub(crate) fn site(file: hir::FileId, span: hir::Span) -> (FileId, ast::Span) {
    (FileId(file.0), ast::Span { start: span.start, end: span.end })
}

/// A checked expression's span back in syntax terms.
pub(crate) fn ast_span(span: hir::Span) -> ast::Span {
    ast::Span { start: span.start, end: span.end }
}
