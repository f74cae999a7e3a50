//! `#[derive(Channel)]` for Stardust: turns an annotated type into a typed channel.
//!
//! Use it through `stardust` (`use stardust::prelude::*;`), which re-exports it next to
//! the `Channel` trait it implements.

#![warn(missing_docs)]

mod attr;
mod ctxt;
mod expand;
mod suggest;
mod validate;
mod value;

use proc_macro::TokenStream;

/// Declares a channel: a stable 24-bit id and a delivery contract attached to a type.
///
/// ```ignore
/// #[derive(Channel)]
/// #[channel(reliable, ordered)]                              // delivery
/// pub struct Chat;
///
/// #[derive(Channel)]
/// #[channel(unreliable, sequenced, max_size = 1024, priority = 200)]
/// pub struct Movement;
///
/// #[derive(Channel)]
/// #[channel(reliable, unordered, id = 0x00BEEF)]             // explicit id
/// pub enum Events {}
///
/// #[derive(Channel)]
/// #[channel(reliable, ordered, name = "game.chat")]          // stable id from a name, survives moves/renames
/// pub struct ChatV2;
///
/// #[derive(Channel)]
/// #[channel(reliable, ordered, message = ChatLine)]          // typed: sends &ChatLine, reads ChatLine
/// pub struct TypedChat;
///
/// #[derive(Channel)]
/// #[channel(unreliable, crate = my_engine::net::stardust)]   // re-exported crate path
/// pub struct Ping;
/// ```
///
/// # Cheat sheet for `#[channel(...)]`
///
/// | key | value | default | rule |
/// |---|---|---|---|
/// | `reliable` / `unreliable` | flag | none: required | exactly one |
/// | `ordered` / `sequenced` / `unordered` | flag | `unordered` | at most one; `ordered` needs `reliable` (use `sequenced` on unreliable channels) |
/// | `id` | integer literal in `0..=0xFFFFFE` | hash of the type path | not with `name` |
/// | `name` | non-empty string literal | none | id = hash of the name; not with `id` |
/// | `max_size` | integer literal in `1..=16777216` (bytes) | `1048576` (1 MiB) if reliable, `1024` if unreliable | largest message accepted |
/// | `priority` | integer literal in `0..=255` | `128` | higher goes first when channels compete for bandwidth |
/// | `message` | an owned type that implements `serde::Serialize` and `serde::Deserialize` | none: messages are bytes | `ChannelWriter` sends `&T`, `ChannelReader` yields `T`, encoded with postcard; the type as written (whitespace removed) is part of the protocol hash |
/// | `crate` | path, e.g. `my_engine::net::stardust` | `::stardust` | where the generated code finds Stardust |
///
/// The defaults are `ChannelConfig::DEFAULT_RELIABLE_MAX_SIZE`,
/// `ChannelConfig::DEFAULT_UNRELIABLE_MAX_SIZE` and `ChannelConfig::DEFAULT_PRIORITY`.
///
/// # Typed messages
///
/// With `message = T`, the channel carries values of `T`: `ChannelWriter::send` takes a `&T`
/// and encodes it with [postcard](https://docs.rs/postcard) (a compact, specified binary
/// format, described for other languages in Stardust's docs/PROTOCOL.md), refusing an
/// encoding above `max_size`; `ChannelReader::read` yields `(peer, T)`. A received payload
/// that is not exactly one encoding of `T` is dropped and counted in the peer's stats. The
/// name of `T` as written enters the protocol hash, so two builds that disagree on it do
/// not connect; a change *inside* `T` does not, so give the game's protocol a version with
/// `add_protocol_value` when a message type changes shape.
///
/// # The id
///
/// Without `id`, the id is `ChannelId::from_name(name)` when `name` is given, else
/// `ChannelId::from_name(concat!(module_path!(), "::", "TypeName"))`: a 24-bit FNV-1a
/// hash that is the same on every machine, build and compiler, and never `0xFFFFFF`.
/// A path-derived id changes when the type is moved or renamed; give a `name` to keep
/// the id (and so compatibility with peers) across such refactors.
///
/// # Accepted types and attributes
///
/// * Structs and enums, with or without fields. Unions are rejected, and so are
///   generic types (type, lifetime or const parameters): every instance of a generic
///   would share one id.
/// * Several `#[channel(...)]` attributes on one type are merged as if their keys were
///   written in one (handy with `cfg_attr`); a key given twice is an error wherever
///   it appears.
/// * Every mistake is reported in one compile, at the offending token. On error the
///   derive still emits a placeholder impl, so uses of the type elsewhere raise no
///   further errors.
#[proc_macro_derive(Channel, attributes(channel))]
pub fn derive_channel(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
