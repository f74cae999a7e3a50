//! Rules between keys and about the annotated type, turning a parsed [`ChannelAttr`] into
//! a [`ValidChannel`] that `expand` can generate without further checks.

use syn::{Data, DeriveInput, GenericParam, Type};

use crate::attr::{ChannelAttr, Keyed};
use crate::ctxt::Errors;

/// Whether messages are resent until acknowledged (`stardust::channel::Reliability`).
#[derive(Clone, Copy)]
pub(crate) enum Reliability {
    Reliable,
    Unreliable,
}

/// In which order messages are delivered (`stardust::channel::Ordering`).
#[derive(Clone, Copy)]
pub(crate) enum Ordering {
    Unordered,
    Sequenced,
    Ordered,
}

/// Where the channel id comes from.
pub(crate) enum IdSource {
    /// `id = …`, already range-checked.
    Explicit(u32),
    /// `name = "…"`, non-empty.
    Name(String),
    /// Neither: the hash of the type's full path.
    TypePath,
}

/// A channel declaration that keeps every rule of the cheat sheet.
pub(crate) struct ValidChannel {
    pub(crate) reliability: Reliability,
    pub(crate) ordering: Ordering,
    pub(crate) id: IdSource,
    /// `None`: the default for the reliability.
    pub(crate) max_size: Option<u32>,
    /// `None`: the default priority.
    pub(crate) priority: Option<u8>,
    /// `None`: a byte channel.
    pub(crate) message: Option<Type>,
}

/// Checks the type's shape and the rules between keys, recording every violation.
/// Returns the channel only when `errors` (including earlier ones) is empty.
pub(crate) fn check(
    input: &DeriveInput,
    attr: &ChannelAttr,
    errors: &mut Errors,
) -> Option<ValidChannel> {
    check_shape(input, errors);
    if !attr.is_present() {
        errors.error_spanned_by(
            &input.ident,
            format!(
                "missing #[channel(...)] attribute: say how `{ident}` delivers its messages, \
                 e.g. #[channel(reliable, ordered)] or #[channel(unreliable, sequenced)]",
                ident = input.ident
            ),
        );
        return None;
    }
    let reliability = check_reliability(attr, errors);
    let ordering = check_ordering(attr, reliability, errors);
    check_exclusive(&attr.id, &attr.name, "both set the channel id; keep one", errors);

    let valid = ValidChannel {
        reliability: reliability?,
        ordering,
        id: match (&attr.id, &attr.name) {
            (Some(id), _) => IdSource::Explicit(*id.value.as_ref()?),
            (None, Some(name)) => IdSource::Name(name.value.clone()?),
            (None, None) => IdSource::TypePath,
        },
        max_size: optional(&attr.max_size)?,
        priority: optional(&attr.priority)?,
        message: match &attr.message {
            None => None,
            Some(keyed) => Some(keyed.value.clone()?),
        },
    };
    errors.is_empty().then_some(valid)
}

/// Rejects unions and generic types.
fn check_shape(input: &DeriveInput, errors: &mut Errors) {
    if let Data::Union(union) = &input.data {
        errors.error_spanned_by(
            union.union_token,
            "#[derive(Channel)] does not accept unions: declare the channel as a unit struct \
             (`struct Chat;`) or an enum",
        );
    }
    if !input.generics.params.is_empty() {
        let ident = &input.ident;
        let generics = &input.generics;
        errors.error_spanned_by(
            generics,
            format!(
                "a channel type cannot have generic parameters: every instance of \
                 `{ident}<{params}>` would share one id; declare one non-generic type per \
                 channel",
                params = generics
                    .params
                    .iter()
                    .map(|param| match param {
                        GenericParam::Type(param) => param.ident.to_string(),
                        GenericParam::Lifetime(param) => param.lifetime.to_string(),
                        GenericParam::Const(param) => param.ident.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        );
    }
}

/// Exactly one of `reliable` / `unreliable`.
fn check_reliability(attr: &ChannelAttr, errors: &mut Errors) -> Option<Reliability> {
    check_exclusive(
        &attr.reliable,
        &attr.unreliable,
        "are exclusive: a channel is either reliable or unreliable; keep one",
        errors,
    );
    match (&attr.reliable, &attr.unreliable) {
        (Some(reliable), Some(unreliable)) if reliable.order < unreliable.order => {
            Some(Reliability::Reliable)
        }
        (Some(_), Some(_)) | (None, Some(_)) => Some(Reliability::Unreliable),
        (Some(_), None) => Some(Reliability::Reliable),
        (None, None) => {
            if !attr.misspelled_delivery && !attr.incomplete {
                errors.error_spanned_by(
                    attr.span(),
                    "missing delivery guarantee: add `reliable` (resent until acknowledged) or \
                     `unreliable` (sent once), e.g. #[channel(reliable, ordered)]",
                );
            }
            None
        }
    }
}

/// At most one ordering, and never `ordered` on an unreliable channel.
fn check_ordering(
    attr: &ChannelAttr,
    reliability: Option<Reliability>,
    errors: &mut Errors,
) -> Ordering {
    let mut given: Vec<(&Keyed<()>, Ordering)> = [
        (&attr.ordered, Ordering::Ordered),
        (&attr.sequenced, Ordering::Sequenced),
        (&attr.unordered, Ordering::Unordered),
    ]
    .into_iter()
    .filter_map(|(keyed, ordering)| keyed.as_ref().map(|keyed| (keyed, ordering)))
    .collect();
    given.sort_by_key(|(keyed, _)| keyed.order);
    if let Some(((first, _), rest)) = given.split_first() {
        for (later, _) in rest {
            errors.error_spanned_by(
                &later.key,
                format!(
                    "`{first}` and `{later}` are exclusive: a channel has one ordering, one of \
                     `ordered`, `sequenced` or `unordered` (the default); keep one",
                    first = first.key,
                    later = later.key,
                ),
            );
        }
    }
    let ordering = given.first().map_or(Ordering::Unordered, |&(_, ordering)| ordering);
    if let (Some(Reliability::Unreliable), Some(ordered)) = (reliability, &attr.ordered) {
        errors.error_spanned_by(
            &ordered.key,
            "an `unreliable` channel cannot be `ordered`: one lost message would hold back every \
             later one forever; use `sequenced` to drop messages older than the newest one \
             delivered, or make the channel `reliable`",
        );
    }
    ordering
}

/// Reports the later of two keys that may not appear together.
fn check_exclusive<A, B>(
    a: &Option<Keyed<A>>,
    b: &Option<Keyed<B>>,
    why: &str,
    errors: &mut Errors,
) {
    if let (Some(a), Some(b)) = (a, b) {
        let (first, later) = if a.order < b.order { (&a.key, &b.key) } else { (&b.key, &a.key) };
        errors.error_spanned_by(later, format!("`{first}` and `{later}` {why}"));
    }
}

/// `Some(None)` when the key is absent, `Some(Some(value))` when valid, `None` when its
/// value was malformed (and already reported).
fn optional<T: Copy>(keyed: &Option<Keyed<T>>) -> Option<Option<T>> {
    match keyed {
        None => Some(None),
        Some(keyed) => keyed.value.map(Some),
    }
}
