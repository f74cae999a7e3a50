//! Reading one key's value (`id = 0x00BEEF`, `name = "game.chat"`, `crate = a::b`) and
//! checking it on its own: literal type and range. Rules between keys live in `validate`.

use quote::ToTokens;
use syn::{Expr, ExprGroup, ExprLit, ExprUnary, Lit, Path, Type, UnOp};

/// What an integer key accepts, and how to tell the user.
pub(crate) struct IntKey {
    /// The key as written, e.g. `max_size`.
    pub(crate) name: &'static str,
    /// The smallest value accepted.
    pub(crate) min: u32,
    /// The largest value accepted.
    pub(crate) max: u32,
    /// The accepted range as the user should read it, e.g. `1..=16777216 bytes (16 MiB)`.
    pub(crate) range_text: &'static str,
    /// A correct use of the key, e.g. `max_size = 1024`.
    pub(crate) example: &'static str,
}

/// `id`: any 24-bit value but `0xFFFFFF`, whose wire form `id + 1` would overflow.
pub(crate) const ID: IntKey = IntKey {
    name: "id",
    min: 0,
    max: 0xFF_FFFE,
    range_text: "0..=0xFFFFFE (24 bits; 0xFFFFFF is reserved because the wire carries id + 1)",
    example: "id = 0x00BEEF",
};

/// `max_size`: matches `ChannelConfig::MAX_SIZE_LIMIT` in `stardust_proto`.
pub(crate) const MAX_SIZE: IntKey = IntKey {
    name: "max_size",
    min: 1,
    max: 16 * 1024 * 1024,
    range_text: "1..=16777216 bytes (16 MiB)",
    example: "max_size = 1024",
};

/// `priority`: one byte.
pub(crate) const PRIORITY: IntKey = IntKey {
    name: "priority",
    min: 0,
    max: 255,
    range_text: "0..=255 (default 128; higher goes first)",
    example: "priority = 200",
};

/// `expr` without the invisible delimiters `macro_rules!` puts around a substituted
/// fragment (`id = $id` with `$id:literal` arrives as a group holding the literal), so a
/// channel declared by a macro reads like one written out.
fn peeled(mut expr: &Expr) -> &Expr {
    while let Expr::Group(ExprGroup { expr: inner, .. }) = expr {
        expr = inner;
    }
    expr
}

/// The integer that `expr` spells, if it is an integer literal (optionally negated)
/// within `key`'s range; otherwise an error spanned at `expr` quoting it.
pub(crate) fn int_in_range(key: &IntKey, expr: &Expr) -> syn::Result<u32> {
    let expr = peeled(expr);
    let (negative, lit) = match expr {
        Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => (false, lit),
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr: inner, .. }) => match peeled(inner) {
            Expr::Lit(ExprLit { lit: Lit::Int(lit), .. }) => (true, lit),
            _ => return Err(wrong_type(key.name, "an integer literal", key.example, expr)),
        },
        _ => return Err(wrong_type(key.name, "an integer literal", key.example, expr)),
    };
    let in_range = match lit.base10_parse::<u64>() {
        Ok(0) => key.min == 0,
        Ok(value) if !negative => value >= u64::from(key.min) && value <= u64::from(key.max),
        // Negative, or too large for u64: out of range either way.
        _ => false,
    };
    if !in_range {
        return Err(syn::Error::new_spanned(
            expr,
            format!(
                "`{name} = {written}` is out of range: `{name}` must be in {range}",
                name = key.name,
                written = shown(expr),
                range = key.range_text,
            ),
        ));
    }
    // In range and not negative (or zero), so it fits `u32`.
    lit.base10_parse::<u32>()
}

/// The non-empty string of a `name = "…"` value.
pub(crate) fn name(expr: &Expr) -> syn::Result<String> {
    let example = "name = \"game.chat\"";
    let expr = peeled(expr);
    let Expr::Lit(ExprLit { lit: Lit::Str(lit), .. }) = expr else {
        return Err(wrong_type("name", "a string literal", example, expr));
    };
    let name = lit.value();
    if name.is_empty() {
        return Err(syn::Error::new_spanned(
            expr,
            "`name = \"\"` is empty: a channel name must be a non-empty string that stays the \
             same across versions, e.g. `name = \"game.chat\"`",
        ));
    }
    Ok(name)
}

/// The path of a `crate = …` value.
pub(crate) fn crate_path(expr: &Expr) -> syn::Result<Path> {
    match peeled(expr) {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => Ok(path.path.clone()),
        _ => Err(wrong_type("crate", "a path", "crate = my_engine::net::stardust", expr)),
    }
}

/// The type of a `message = …` value: an owned, concrete type (what readers get back
/// decoded), so references, `_`, `impl Trait`, `dyn Trait`, `!` and pointers are refused.
pub(crate) fn message_type(ty: &Type) -> syn::Result<Type> {
    let mut inner = ty;
    while let Type::Group(group) = inner {
        inner = &group.elem;
    }
    let why = match inner {
        Type::Reference(_) => {
            "borrows: readers get each message decoded into a value they own, so name an \
             owned type (`String` rather than `&str`, `Vec<T>` rather than `&[T]`)"
        }
        Type::Infer(_) => "leaves the type to inference: name the message type",
        Type::ImplTrait(_) | Type::TraitObject(_) => {
            "is not a concrete type: name one struct or enum (use an enum for several kinds \
             of message)"
        }
        Type::Never(_) => "cannot carry a message: name a struct or enum",
        Type::Ptr(_) | Type::BareFn(_) => {
            "cannot travel over the network: name a struct or enum that implements \
             `serde::Serialize` and `serde::Deserialize`"
        }
        _ => return Ok(ty.clone()),
    };
    let written = shown(ty).replace("& ", "&");
    Err(syn::Error::new_spanned(ty, format!("`message = {written}` {why}")))
}

/// The error for a `message = …` value that is not a type, such as a string literal.
pub(crate) fn not_a_type(found: &Expr) -> syn::Error {
    wrong_type("message", "a type", "message = ChatLine", found)
}

/// A message type's name as the protocol hash absorbs it: its tokens, whitespace removed.
pub(crate) fn type_name(ty: &Type) -> String {
    ty.to_token_stream().to_string().chars().filter(|c| !c.is_whitespace()).collect()
}

/// "`key` expects `kind` such as `example`, found …", with a hint when the user quoted
/// a number or a path.
fn wrong_type(key: &str, kind: &str, example: &str, found: &Expr) -> syn::Error {
    let hint = match found {
        Expr::Lit(ExprLit { lit: Lit::Str(_), .. }) if kind != "a string literal" => {
            "; write it without quotes"
        }
        _ if kind == "a type" => "",
        Expr::Lit(_) | Expr::Unary(_) => "",
        _ if kind == "an integer literal" => {
            "; constants and expressions are not accepted because the derive checks the \
             value at compile time"
        }
        _ => "",
    };
    syn::Error::new_spanned(
        found,
        format!(
            "`{key}` expects {kind} such as `{example}`, found {found_kind} `{written}`{hint}",
            found_kind = kind_of(found),
            written = shown(found),
        ),
    )
}

/// What the user wrote, in words, for error messages.
fn kind_of(expr: &Expr) -> &'static str {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Str(_) => "the string literal",
            Lit::Int(_) => "the integer literal",
            Lit::Float(_) => "the float literal",
            Lit::Bool(_) => "the boolean",
            Lit::Char(_) => "the character literal",
            Lit::ByteStr(_) | Lit::CStr(_) | Lit::Byte(_) => "the byte literal",
            _ => "the literal",
        },
        Expr::Path(_) => "the path",
        _ => "the expression",
    }
}

/// The user's tokens as they would read them (`-1`, `"5"`, `my::path`).
pub(crate) fn shown(tokens: &impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    // The token printer spaces out punctuation; close the gaps users never write.
    text.replace(" :: ", "::").replace(":: ", "::").replace("- ", "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> Expr {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn integers_are_accepted_in_range_in_any_base() {
        assert_eq!(int_in_range(&ID, &expr("0x00BEEF")).unwrap(), 0xBEEF);
        assert_eq!(int_in_range(&ID, &expr("0")).unwrap(), 0);
        assert_eq!(int_in_range(&ID, &expr("0xFFFFFE")).unwrap(), 0xFF_FFFE);
        assert_eq!(int_in_range(&PRIORITY, &expr("0b1111_1111")).unwrap(), 255);
        assert_eq!(int_in_range(&MAX_SIZE, &expr("16777216")).unwrap(), 16 * 1024 * 1024);
    }

    #[test]
    fn integers_out_of_range_or_negative_are_rejected() {
        for (key, text) in [
            (&ID, "0xFFFFFF"),
            (&ID, "-1"),
            (&ID, "-0x5"),
            (&ID, "99999999999999999999999999"),
            (&MAX_SIZE, "0"),
            (&MAX_SIZE, "-0"),
            (&MAX_SIZE, "16777217"),
            (&PRIORITY, "256"),
        ] {
            let error = int_in_range(key, &expr(text)).unwrap_err().to_string();
            assert!(error.contains("is out of range"), "{text}: {error}");
        }
    }

    #[test]
    fn wrong_literal_types_name_what_was_found() {
        let error = int_in_range(&ID, &expr("\"5\"")).unwrap_err().to_string();
        assert!(error.contains("found the string literal `\"5\"`; write it without quotes"));
        let error = int_in_range(&MAX_SIZE, &expr("1.5")).unwrap_err().to_string();
        assert!(error.contains("found the float literal `1.5`"), "{error}");
        let error = name(&expr("5")).unwrap_err().to_string();
        assert!(error.contains("`name` expects a string literal"), "{error}");
        assert!(crate_path(&expr("\"my::path\"")).is_err());
        assert_eq!(
            shown(&crate_path(&expr("::my_engine::net::stardust")).unwrap()),
            "::my_engine::net::stardust"
        );
    }

    fn ty(text: &str) -> Type {
        syn::parse_str(text).unwrap()
    }

    #[test]
    fn message_types_are_owned_and_concrete() {
        for good in ["ChatLine", "game::net::ChatLine", "Vec<u8>", "(u32, String)", "[f32; 3]"] {
            assert!(message_type(&ty(good)).is_ok(), "{good}");
        }
        for (bad, says) in [
            ("&'static str", "borrows"),
            ("_", "inference"),
            ("impl Trait", "not a concrete type"),
            ("dyn Trait", "not a concrete type"),
            ("!", "cannot carry"),
            ("*const u8", "cannot travel"),
        ] {
            let error = message_type(&ty(bad)).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn message_type_names_drop_whitespace() {
        assert_eq!(type_name(&ty("game :: ChatLine")), "game::ChatLine");
        assert_eq!(type_name(&ty("Vec< u8 >")), "Vec<u8>");
        assert_eq!(type_name(&ty("(u32, String)")), "(u32,String)");
    }
}
