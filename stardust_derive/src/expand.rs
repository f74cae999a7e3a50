//! Generating the `Channel` impl, or on error the compile errors plus a placeholder impl.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::DeriveInput;
use syn::ext::IdentExt;

use crate::attr::{self, ChannelAttr};
use crate::ctxt::Errors;
use crate::validate::{self, IdSource, Ordering, Reliability, ValidChannel};
use crate::value;

/// The whole derive: parse, validate, generate.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let attr = attr::parse(&input.attrs, &mut errors);
    let krate = attr.crate_path();
    match validate::check(input, &attr, &mut errors) {
        Some(channel) if errors.is_empty() => impl_channel(input, &krate, &channel),
        _ => {
            if errors.is_empty() {
                // Every path that rejects the input records why; never fail silently.
                errors.error_spanned_by(
                    &input.ident,
                    "#[derive(Channel)] rejected this type without saying why; please report \
                     this bug to Stardust with the attribute you wrote",
                );
            }
            fallback(input, &krate, &attr, &errors)
        }
    }
}

/// `impl Channel for T` with the declared id and config, inside `const _: () = { … };`
/// so nothing leaks into the user's namespace.
fn impl_channel(input: &DeriveInput, krate: &syn::Path, channel: &ValidChannel) -> TokenStream {
    let ty = &input.ident;
    let id = match &channel.id {
        IdSource::Explicit(value) => {
            let value = Literal::u32_unsuffixed(*value);
            quote! {
                match #krate::channel::ChannelId::new(#value) {
                    ::core::option::Option::Some(id) => id,
                    // Unreachable: the derive checked the range. Evaluated at compile time.
                    ::core::option::Option::None => ::core::panic!("channel id out of range"),
                }
            }
        }
        IdSource::Name(name) => quote!(#krate::channel::ChannelId::from_name(#name)),
        IdSource::TypePath => type_path_id(input, krate),
    };
    let reliability = match channel.reliability {
        Reliability::Reliable => quote!(Reliable),
        Reliability::Unreliable => quote!(Unreliable),
    };
    let ordering = match channel.ordering {
        Ordering::Unordered => quote!(Unordered),
        Ordering::Sequenced => quote!(Sequenced),
        Ordering::Ordered => quote!(Ordered),
    };
    let max_size = channel.max_size.map(|max_size| {
        let max_size = Literal::u32_unsuffixed(max_size);
        quote!(.with_max_size(#max_size))
    });
    let priority = channel.priority.map(|priority| {
        let priority = Literal::u8_unsuffixed(priority);
        quote!(.with_priority(#priority))
    });
    let message = message_items(channel.message.as_ref(), krate);
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #krate::channel::Channel for #ty {
                const ID: #krate::channel::ChannelId = #id;
                const CONFIG: #krate::channel::ChannelConfig =
                    #krate::channel::ChannelConfig::new(
                        #krate::channel::Reliability::#reliability,
                        #krate::channel::Ordering::#ordering,
                    )
                    #max_size
                    #priority;
                #message
            }
        };
    }
}

/// `type Message` and `MESSAGE_TYPE`: the named type, or `Raw` for a byte channel.
fn message_items(message: Option<&syn::Type>, krate: &syn::Path) -> TokenStream {
    match message {
        Some(ty) => {
            let name = value::type_name(ty);
            quote! {
                type Message = #ty;
                const MESSAGE_TYPE: ::core::option::Option<&'static str> =
                    ::core::option::Option::Some(#name);
            }
        }
        None => quote! {
            type Message = #krate::channel::Raw;
            const MESSAGE_TYPE: ::core::option::Option<&'static str> = ::core::option::Option::None;
        },
    }
}

/// `ChannelId::from_name("<module path>::<Type>")`, computed where the type is declared.
fn type_path_id(input: &DeriveInput, krate: &syn::Path) -> TokenStream {
    let ident = input.ident.unraw().to_string();
    quote! {
        #krate::channel::ChannelId::from_name(
            ::core::concat!(::core::module_path!(), "::", #ident)
        )
    }
}

/// The errors, plus an impl with placeholder consts so that uses of the type
/// (`Broken::ID`, `app.add_channel::<Broken>()`, sending its message type) raise no second
/// error.
fn fallback(
    input: &DeriveInput,
    krate: &syn::Path,
    attr: &ChannelAttr,
    errors: &Errors,
) -> TokenStream {
    let errors = errors.to_compile_errors();
    let ty = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let predicates = where_clause.into_iter().flat_map(|clause| &clause.predicates);
    let id = type_path_id(input, krate);
    let message = attr.message.as_ref().and_then(|keyed| keyed.value.as_ref());
    let message = message_items(message, krate);
    quote! {
        #errors

        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::channel::Channel for #ty #ty_generics
            where
                #(#predicates,)*
                // A `for<'…>` bound is checked where the impl is used, not here: a type
                // that is not `Send + Sync` gets no extra error on top of the real one.
                for<'__stardust_fallback> #ty #ty_generics: ::core::marker::Send
                    + ::core::marker::Sync
                    + 'static,
            {
                const ID: #krate::channel::ChannelId = #id;
                const CONFIG: #krate::channel::ChannelConfig =
                    #krate::channel::ChannelConfig::new(
                        #krate::channel::Reliability::Reliable,
                        #krate::channel::Ordering::Unordered,
                    );
                #message
            }
        };
    }
}
