//! Parsing `#[channel(...)]` into a plain struct: one `Option` per key, each keeping the
//! key's token for error spans. Each key is checked alone here (literal type, range,
//! duplicates); rules between keys are `validate`'s job.

use proc_macro2::Group;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, Ident, Meta, Path, Token, Type};

use crate::ctxt::Errors;
use crate::suggest::closest;
use crate::value;

/// Every key `#[channel(...)]` accepts, in the order the cheat sheet lists them.
pub(crate) const KEYS: &[&str] = &[
    "reliable",
    "unreliable",
    "ordered",
    "sequenced",
    "unordered",
    "id",
    "name",
    "max_size",
    "priority",
    "message",
    "crate",
];

/// One key as the user wrote it.
pub(crate) struct Keyed<T> {
    /// The key's token, where errors about this key point.
    pub(crate) key: Ident,
    /// The parsed value; `None` when it was malformed and an error was already recorded.
    pub(crate) value: Option<T>,
    /// Position among all keys of all `#[channel]` attributes of the type, so that a
    /// conflict is reported at whichever of two keys came second.
    pub(crate) order: usize,
}

/// Everything the `#[channel(...)]` attributes of one type say.
#[derive(Default)]
pub(crate) struct ChannelAttr {
    /// The `channel` path of each `#[channel]` attribute, in source order.
    pub(crate) attributes: Vec<Path>,
    pub(crate) reliable: Option<Keyed<()>>,
    pub(crate) unreliable: Option<Keyed<()>>,
    pub(crate) ordered: Option<Keyed<()>>,
    pub(crate) sequenced: Option<Keyed<()>>,
    pub(crate) unordered: Option<Keyed<()>>,
    pub(crate) id: Option<Keyed<u32>>,
    pub(crate) name: Option<Keyed<String>>,
    pub(crate) max_size: Option<Keyed<u32>>,
    pub(crate) priority: Option<Keyed<u8>>,
    pub(crate) message: Option<Keyed<Type>>,
    pub(crate) crate_path: Option<Keyed<Path>>,
    /// An unknown key was probably a misspelled `reliable`/`unreliable`: its error already
    /// tells the user what to write, so "missing `reliable` or `unreliable`" would be noise.
    pub(crate) misspelled_delivery: bool,
    /// A syntax error stopped the parse of an attribute, so keys after it are unknown and
    /// "missing key" errors would be guesses.
    pub(crate) incomplete: bool,
    keys_seen: usize,
}

/// What follows a key inside `#[channel(...)]`.
enum Follows {
    /// Nothing: a flag such as `reliable`.
    Nothing,
    /// `= value`.
    Value(Expr),
    /// `= Type`, for the one key whose value is a type (`message`).
    Type(Type),
    /// `(...)`: no key takes a list, but it must be consumed to keep parsing.
    List(Group),
}

impl ChannelAttr {
    /// The path generated code uses to reach Stardust: `crate = …` if given and well
    /// formed, else `::stardust`.
    pub(crate) fn crate_path(&self) -> Path {
        match self.crate_path.as_ref().and_then(|keyed| keyed.value.as_ref()) {
            Some(path) => path.clone(),
            None => syn::parse_quote!(::stardust),
        }
    }

    /// Whether any `#[channel]` attribute was present.
    pub(crate) fn is_present(&self) -> bool {
        !self.attributes.is_empty()
    }

    /// Where to point errors about the attribute as a whole: its first `channel` path.
    pub(crate) fn span(&self) -> Option<&Path> {
        self.attributes.first()
    }
}

/// Parses every `#[channel(...)]` among `attrs`, merging their keys, and records every
/// malformed, unknown or duplicated key in `errors`.
pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> ChannelAttr {
    let mut channel = ChannelAttr::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("channel")) {
        channel.attributes.push(attr.path().clone());
        if !matches!(attr.meta, Meta::List(_)) {
            // `#[channel]` or `#[channel = …]`: nothing to parse, and "missing key"
            // errors on top would only repeat this one.
            channel.incomplete = true;
            errors.error_spanned_by(
                &attr.meta,
                format!(
                    "expected keys in parentheses, e.g. #[channel(reliable, ordered)], found \
                     #[{}]",
                    value::shown(&attr.meta)
                ),
            );
            continue;
        }
        let result = attr.parse_nested_meta(|meta| parse_key(&mut channel, &meta, errors));
        if let Err(error) = result {
            channel.incomplete = true;
            errors.push(explain_syntax_error(error));
        }
    }
    channel
}

/// Adds to syn's terse syntax errors what the user most likely has to do.
fn explain_syntax_error(error: syn::Error) -> syn::Error {
    let explain = |error: syn::Error| {
        let hint = match error.to_string().as_str() {
            "expected `,`" => "separate keys with commas, e.g. #[channel(reliable, ordered)]",
            _ => {
                "#[channel(...)] takes flags (`reliable`) and `key = literal` pairs \
                 (`max_size = 1024`), separated by commas"
            }
        };
        syn::Error::new(error.span(), format!("{error}: {hint}"))
    };
    let mut errors = error.into_iter().map(explain);
    let mut explained = errors.next().unwrap_or_else(|| {
        syn::Error::new(proc_macro2::Span::call_site(), "malformed #[channel(...)] attribute")
    });
    errors.for_each(|error| explained.combine(error));
    explained
}

/// Parses one key and its value. Mistakes in the key or value are recorded and parsing
/// goes on; only a syntax error (returned) ends the attribute.
fn parse_key(
    channel: &mut ChannelAttr,
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let follows = follows(meta, meta.path.is_ident("message"))?;
    let Some(key) = meta.path.get_ident().cloned() else {
        errors.error_spanned_by(
            &meta.path,
            format!(
                "unknown channel key `{}`; expected one of {}",
                value::shown(&meta.path),
                list(KEYS)
            ),
        );
        return Ok(());
    };
    let order = channel.keys_seen;
    channel.keys_seen += 1;
    let name = key.to_string();
    match name.as_str() {
        "reliable" => set(&mut channel.reliable, flag(key, order, &follows, errors), errors),
        "unreliable" => set(&mut channel.unreliable, flag(key, order, &follows, errors), errors),
        "ordered" => set(&mut channel.ordered, flag(key, order, &follows, errors), errors),
        "sequenced" => set(&mut channel.sequenced, flag(key, order, &follows, errors), errors),
        "unordered" => set(&mut channel.unordered, flag(key, order, &follows, errors), errors),
        "id" => {
            let keyed = valued(key, order, &follows, "id = 0x00BEEF", errors, |expr| {
                value::int_in_range(&value::ID, expr)
            });
            set(&mut channel.id, keyed, errors);
        }
        "name" => {
            let keyed = valued(key, order, &follows, "name = \"game.chat\"", errors, value::name);
            set(&mut channel.name, keyed, errors);
        }
        "max_size" => {
            let keyed = valued(key, order, &follows, "max_size = 1024", errors, |expr| {
                value::int_in_range(&value::MAX_SIZE, expr)
            });
            set(&mut channel.max_size, keyed, errors);
        }
        "priority" => {
            let keyed = valued(key, order, &follows, "priority = 200", errors, |expr| {
                // The range check guarantees the value fits a byte.
                value::int_in_range(&value::PRIORITY, expr).map(|value| value as u8)
            });
            set(&mut channel.priority, keyed, errors);
        }
        "message" => {
            let keyed = typed(key, order, &follows, errors);
            set(&mut channel.message, keyed, errors);
        }
        "crate" => {
            let keyed = valued(
                key,
                order,
                &follows,
                "crate = my_engine::net::stardust",
                errors,
                value::crate_path,
            );
            set(&mut channel.crate_path, keyed, errors);
        }
        _ => unknown_key(channel, &key, errors),
    }
    Ok(())
}

/// Consumes what follows the key, so a bad value never stops the parse of later keys.
/// With `type_value`, a value that reads as a whole type is parsed as one (`Vec<u8>` is
/// not an expression); anything else is kept as an expression for the error message.
fn follows(meta: &ParseNestedMeta<'_>, type_value: bool) -> syn::Result<Follows> {
    if meta.input.peek(Token![=]) {
        let value = meta.value()?;
        if type_value {
            let fork = value.fork();
            if fork.parse::<Type>().is_ok() && (fork.is_empty() || fork.peek(Token![,])) {
                return Ok(Follows::Type(value.parse()?));
            }
        }
        Ok(Follows::Value(value.parse()?))
    } else if meta.input.peek(syn::token::Paren) {
        Ok(Follows::List(meta.input.parse()?))
    } else {
        Ok(Follows::Nothing)
    }
}

/// A flag key (`reliable`, `ordered`, …), which must stand alone.
fn flag(key: Ident, order: usize, follows: &Follows, errors: &mut Errors) -> Keyed<()> {
    let written = match follows {
        Follows::Nothing => None,
        Follows::Value(expr) => Some(format!("{key} = {}", value::shown(expr))),
        Follows::Type(ty) => Some(format!("{key} = {}", value::shown(ty))),
        Follows::List(group) => Some(format!("{key}{}", value::shown(group))),
    };
    if let Some(written) = written {
        let tokens = match follows {
            Follows::Value(expr) => quote::quote!(#key = #expr),
            Follows::Type(ty) => quote::quote!(#key = #ty),
            Follows::List(group) => quote::quote!(#key #group),
            Follows::Nothing => quote::quote!(#key),
        };
        errors.error_spanned_by(
            tokens,
            format!("`{key}` is a flag and takes no value: write `{key}`, not `{written}`"),
        );
    }
    // The key counts as given either way, so no "missing" error follows.
    Keyed { key, value: Some(()), order }
}

/// A key that needs `= value`, parsed by `parse_value`.
fn valued<T>(
    key: Ident,
    order: usize,
    follows: &Follows,
    example: &str,
    errors: &mut Errors,
    parse_value: impl FnOnce(&Expr) -> syn::Result<T>,
) -> Keyed<T> {
    let value = match follows {
        Follows::Value(expr) => parse_value(expr).map_err(|error| errors.push(error)).ok(),
        // Only `message` parses types, and it does not come here.
        Follows::Type(ty) => {
            errors.error_spanned_by(ty, format!("`{key}` needs a value: write `{example}`"));
            None
        }
        Follows::Nothing => {
            errors.error_spanned_by(&key, format!("`{key}` needs a value: write `{example}`"));
            None
        }
        Follows::List(group) => {
            errors.error_spanned_by(
                quote::quote!(#key #group),
                format!(
                    "`{key}` takes its value after `=`: write `{example}`, not `{key}{}`",
                    value::shown(group)
                ),
            );
            None
        }
    };
    Keyed { key, value, order }
}

/// `message = Type`: the message type, checked by [`value::message_type`].
fn typed(key: Ident, order: usize, follows: &Follows, errors: &mut Errors) -> Keyed<Type> {
    let example = "message = ChatLine";
    let value = match follows {
        Follows::Type(ty) => value::message_type(ty).map_err(|error| errors.push(error)).ok(),
        Follows::Value(expr) => {
            errors.push(value::not_a_type(expr));
            None
        }
        Follows::Nothing => {
            errors.error_spanned_by(&key, format!("`{key}` needs a type: write `{example}`"));
            None
        }
        Follows::List(group) => {
            errors.error_spanned_by(
                quote::quote!(#key #group),
                format!(
                    "`{key}` takes its type after `=`: write `{example}`, not `{key}{}`",
                    value::shown(group)
                ),
            );
            None
        }
    };
    Keyed { key, value, order }
}

/// Stores `keyed` in `slot`, or reports it as a duplicate of the key already there.
fn set<T>(slot: &mut Option<Keyed<T>>, keyed: Keyed<T>, errors: &mut Errors) {
    if slot.is_some() {
        errors.error_spanned_by(
            &keyed.key,
            format!(
                "duplicate key `{key}`: each key may appear once across all #[channel] \
                 attributes of a type; remove this one",
                key = keyed.key
            ),
        );
    } else {
        *slot = Some(keyed);
    }
}

/// Reports a key that is not in [`KEYS`], suggesting the closest one.
fn unknown_key(channel: &mut ChannelAttr, key: &Ident, errors: &mut Errors) {
    let written = key.to_string();
    let suggestion = closest(&written, KEYS);
    if matches!(suggestion, Some("reliable" | "unreliable")) {
        channel.misspelled_delivery = true;
    }
    let hint = match suggestion {
        Some(suggestion) => format!(" (did you mean `{suggestion}`?)"),
        None => String::new(),
    };
    errors.error_spanned_by(
        key,
        format!("unknown channel key `{written}`{hint}; expected one of {}", list(KEYS)),
    );
}

/// `a`, `b`, `c` for messages.
fn list(keys: &[&str]) -> String {
    keys.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", ")
}
