//! `#[derive(Channel)]` for Stardust (placeholder until the derive lands).
#![allow(missing_docs)]
use proc_macro::TokenStream;

#[proc_macro_derive(Channel, attributes(channel))]
pub fn derive_channel(input: TokenStream) -> TokenStream {
    let _ = input;
    TokenStream::new()
}
