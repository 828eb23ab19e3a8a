//! Parsing and checking the attribute options: `flavor`, `worker_threads`, `start_paused`.
//!
//! Every error carries the span of the token at fault (the option's name for an unknown or
//! repeated option, the value for a bad value), and all errors of one attribute are
//! reported together rather than one per compile.

use proc_macro2::Span;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, Meta, Token};

/// Which macro is being expanded; it decides the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[corio::main]`: multi-thread, real time.
    Main,
    /// `#[corio::test]`: current-thread, real time (virtual time is opt-in).
    Test,
}

impl Kind {
    pub(crate) fn attr_name(self) -> &'static str {
        match self {
            Kind::Main => "#[corio::main]",
            Kind::Test => "#[corio::test]",
        }
    }
}

/// The runtime's scheduler, as named in `flavor = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

/// The checked options of one attribute, defaults filled in.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) flavor: Flavor,
    /// `Some(n)` only with [`Flavor::MultiThread`]; `n > 0`.
    pub(crate) worker_threads: Option<usize>,
    pub(crate) start_paused: bool,
}

impl Options {
    /// The defaults of `kind` with no option given.
    pub(crate) fn defaults(kind: Kind) -> Self {
        match kind {
            Kind::Main => Options {
                flavor: Flavor::MultiThread,
                worker_threads: None,
                start_paused: false,
            },
            Kind::Test => Options {
                flavor: Flavor::CurrentThread,
                worker_threads: None,
                start_paused: false,
            },
        }
    }
}

const EXPECTED: &str = "expected one of `flavor`, `worker_threads`, `start_paused`";

/// Parses the attribute's arguments (`flavor = "multi_thread", worker_threads = 2`).
///
/// # Errors
/// Every problem found, combined into one [`syn::Error`].
pub(crate) fn parse(kind: Kind, args: proc_macro2::TokenStream) -> Result<Options, syn::Error> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut errors = Errors::default();

    // (value, span of the option's name) of each option seen.
    let mut flavor: Option<(Flavor, Span)> = None;
    let mut workers: Option<(usize, Span)> = None;
    let mut paused: Option<(bool, Span)> = None;

    for meta in metas {
        let path = meta.path();
        let Some(name) = path.get_ident().map(ToString::to_string) else {
            errors.push(syn::Error::new_spanned(
                path,
                format!(
                    "unknown option `{}`; {EXPECTED}",
                    quote::ToTokens::to_token_stream(path)
                        .to_string()
                        .replace(' ', "")
                ),
            ));
            continue;
        };
        let name_span = path.span();
        let value = match &meta {
            Meta::NameValue(nv) => &nv.value,
            Meta::Path(_) | Meta::List(_) => {
                errors.push(match name.as_str() {
                    "flavor" | "worker_threads" | "start_paused" => syn::Error::new_spanned(
                        &meta,
                        format!("`{name}` needs a value, e.g. `{}`", example(&name)),
                    ),
                    _ => syn::Error::new(name_span, format!("unknown option `{name}`; {EXPECTED}")),
                });
                continue;
            }
        };
        let seen = match name.as_str() {
            "flavor" => flavor.is_some(),
            "worker_threads" => workers.is_some(),
            "start_paused" => paused.is_some(),
            _ => {
                errors.push(syn::Error::new(
                    name_span,
                    format!("unknown option `{name}`; {EXPECTED}"),
                ));
                continue;
            }
        };
        if seen {
            errors.push(syn::Error::new(
                name_span,
                format!("duplicate option `{name}`"),
            ));
            continue;
        }
        let parsed = match name.as_str() {
            "flavor" => parse_flavor(value).map(|f| flavor = Some((f, name_span))),
            "worker_threads" => parse_workers(value).map(|n| workers = Some((n, name_span))),
            _ => parse_bool(&name, value).map(|b| paused = Some((b, name_span))),
        };
        if let Err(e) = parsed {
            errors.push(e);
        }
    }

    let mut options = Options::defaults(kind);
    if let Some((f, _)) = flavor {
        options.flavor = f;
    }
    if let Some((b, _)) = paused {
        options.start_paused = b;
    }
    if let Some((n, span)) = workers {
        if options.flavor == Flavor::CurrentThread {
            let why = if flavor.is_some() {
                String::new()
            } else {
                format!(" (`{}` is current-thread by default)", kind.attr_name())
            };
            errors.push(syn::Error::new(
                span,
                format!(
                    "`worker_threads` needs `flavor = \"multi_thread\"`{why}: a current-thread \
                     runtime runs every task on the calling thread"
                ),
            ));
        } else {
            options.worker_threads = Some(n);
        }
    }
    errors.finish().map(|()| options)
}

fn example(name: &str) -> &'static str {
    match name {
        "flavor" => "flavor = \"multi_thread\"",
        "worker_threads" => "worker_threads = 4",
        _ => "start_paused = true",
    }
}

/// The literal of `value`, looking through invisible groups (a literal passed in by a
/// `macro_rules!` macro).
fn literal(value: &Expr) -> Option<&Lit> {
    match value {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        Expr::Group(g) => literal(&g.expr),
        _ => None,
    }
}

fn parse_flavor(value: &Expr) -> Result<Flavor, syn::Error> {
    let Some(Lit::Str(s)) = literal(value) else {
        return Err(syn::Error::new_spanned(
            value,
            "`flavor` must be a string: \"current_thread\" or \"multi_thread\"",
        ));
    };
    match s.value().as_str() {
        "current_thread" => Ok(Flavor::CurrentThread),
        "multi_thread" => Ok(Flavor::MultiThread),
        other => Err(syn::Error::new(
            s.span(),
            format!("unknown flavor `{other}`; expected \"current_thread\" or \"multi_thread\""),
        )),
    }
}

fn parse_workers(value: &Expr) -> Result<usize, syn::Error> {
    let Some(Lit::Int(n)) = literal(value) else {
        return Err(syn::Error::new_spanned(
            value,
            "`worker_threads` must be an integer literal, e.g. `worker_threads = 4`",
        ));
    };
    match n.base10_parse::<usize>()? {
        0 => Err(syn::Error::new(
            n.span(),
            "`worker_threads` must be greater than 0",
        )),
        n => Ok(n),
    }
}

fn parse_bool(name: &str, value: &Expr) -> Result<bool, syn::Error> {
    match literal(value) {
        Some(Lit::Bool(b)) => Ok(b.value),
        _ => Err(syn::Error::new_spanned(
            value,
            format!("`{name}` must be `true` or `false`"),
        )),
    }
}

/// Several errors reported as one.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }
}
