//! Turning `async fn name() -> T { body }` into a plain `fn` that runs the body on a corio
//! runtime.
//!
//! The expansion of (arguments, if any, are passed on to the inner function)
//!
//! ```text
//! #[corio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), Error> { body }
//! ```
//!
//! is
//!
//! ```text
//! fn main() -> Result<(), Error> {
//!     async fn __corio_body() -> Result<(), Error> { body }
//!     ::corio::Runtime::builder().current_thread().start_paused(false).build()
//!         .unwrap_or_else(|e| panic!("failed to build the corio runtime: {e}"))
//!         .block_on(__corio_body())
//! }
//! ```
//!
//! The body moves into an inner `async fn` with the same return type, so `?` and `return`
//! in the body are checked against the declared type exactly as in any `async fn`; the
//! runtime is dropped (tasks cancelled, threads joined) before the outer function returns.
//! `#[corio::test]` adds `#[::core::prelude::v1::test]` in front.
//!
//! On an error the expansion still emits the function (expanded with the default options
//! when it is an `async fn`), so the user sees the macro's error and nothing else.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{FnArg, ItemFn};

use crate::options::{self, Errors, Flavor, Kind, Options};

/// Expands `#[corio::main(args)]` or `#[corio::test(args)]` on `item`.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                format!(
                    "`{}` can only be applied to an `async fn`",
                    kind.attr_name()
                ),
            );
            let mut out = e.to_compile_error();
            out.extend(item);
            return out;
        }
    };

    let mut errors = Errors::default();
    let options = options::parse(kind, args).unwrap_or_else(|e| {
        errors.push(e);
        Options::defaults(kind)
    });
    let is_async = func.sig.asyncness.is_some();
    if !is_async {
        errors.push(syn::Error::new_spanned(
            func.sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    let mut well_formed = true;
    if let Some(receiver) = func.sig.receiver() {
        well_formed = false;
        errors.push(syn::Error::new_spanned(
            receiver,
            format!("`{}` cannot be used on a method", kind.attr_name()),
        ));
    }
    let generics = &func.sig.generics;
    if !generics.params.is_empty() || generics.where_clause.is_some() {
        well_formed = false;
        let message = format!("`{}` functions cannot be generic", kind.attr_name());
        errors.push(match &generics.where_clause {
            Some(w) if generics.params.is_empty() => syn::Error::new_spanned(w, message),
            _ => syn::Error::new_spanned(generics, message),
        });
    }
    let has_test_attr = func.attrs.iter().any(|a| a.path().is_ident("test"));
    if kind == Kind::Test && has_test_attr {
        let attr = func.attrs.iter().find(|a| a.path().is_ident("test"));
        errors.push(syn::Error::new_spanned(
            attr,
            "remove this `#[test]`: `#[corio::test]` already makes the function a test",
        ));
    }

    let body = if is_async && well_formed {
        generate(kind, &options, func, has_test_attr)
    } else if kind == Kind::Test && !has_test_attr {
        quote!(#[::core::prelude::v1::test] #func)
    } else {
        func.into_token_stream()
    };
    match errors.finish() {
        Ok(()) => body,
        Err(e) => {
            let mut out = e.to_compile_error();
            out.extend(body);
            out
        }
    }
}

/// The expansion proper, for a well-formed `async fn` without `self` or generics.
///
/// Arguments are passed through: the outer function takes them as `__corio_arg0`, ... of
/// the declared types, and the inner `async fn` binds them with the declared patterns.
fn generate(kind: Kind, options: &Options, func: ItemFn, has_test_attr: bool) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = func;
    sig.asyncness = None;
    let inner_inputs = sig.inputs.clone();
    let mut args = Vec::new();
    for (i, input) in sig.inputs.iter_mut().enumerate() {
        if let FnArg::Typed(pat_type) = input {
            let arg = Ident::new(&format!("__corio_arg{i}"), Span::call_site());
            *pat_type.pat = syn::parse_quote!(#arg);
            args.push(arg);
        }
    }
    let output = &sig.output;
    // Resolved at the call site like any item, but a name no user code spells.
    let inner = Ident::new("__corio_body", Span::call_site());

    let flavor = match options.flavor {
        Flavor::CurrentThread => quote!(.current_thread()),
        Flavor::MultiThread => quote!(.multi_thread()),
    };
    let workers = options.worker_threads.map(|n| quote!(.worker_threads(#n)));
    let paused = options.start_paused;
    let test_attr =
        (kind == Kind::Test && !has_test_attr).then(|| quote!(#[::core::prelude::v1::test]));

    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            async fn #inner(#inner_inputs) #output #block
            ::corio::Runtime::builder()
                #flavor
                #workers
                .start_paused(#paused)
                .build()
                .unwrap_or_else(|e| ::core::panic!("failed to build the corio runtime: {}", e))
                .block_on(#inner(#(#args),*))
        }
    }
}
