//! The error collector: every stage pushes its errors here instead of returning at the
//! first one, so a user sees all their mistakes in one compile.

use core::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Errors gathered while parsing and validating one `#[derive(Channel)]`.
#[derive(Default)]
pub(crate) struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    /// Records `message` spanned at `tokens` (from their first to their last token).
    pub(crate) fn error_spanned_by(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.errors.push(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error that is already built (e.g. a syntax error from `syn`).
    pub(crate) fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// Whether nothing went wrong so far.
    pub(crate) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// One `compile_error!` per recorded error, in the order they were found.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.errors.iter().map(syn::Error::to_compile_error).collect()
    }
}
