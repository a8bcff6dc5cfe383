//! The derive macros of strata: a thin shim over strata-core's attribute parser.
//!
//! All the reading and checking lives in `strata_core::parse`, which the CLI runs on the
//! same source; this crate only turns its result into tokens. The metadata travels as
//! JSON produced by the very types `User::entity()` returns, so the runtime value is the
//! parser's output byte for byte.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_macro_input, DeriveInput};

/// `#[derive(strata::Entity)]`: a table, declared by `#[entity(...)]` (see strata's SPEC).
#[proc_macro_derive(Entity, attributes(entity, sqlx))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_entity(&input).into()
}

/// `#[derive(strata::DbEnum)]`: a PostgreSQL enum type, read from `#[sqlx(type_name)]`.
#[proc_macro_derive(DbEnum, attributes(entity, sqlx))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_db_enum(&input).into()
}

fn expand_entity(input: &DeriveInput) -> TokenStream2 {
    let parsed = match strata_core::parse::parse_entity_with_spans(input) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return with_stub(errors, entity_impl(input, quote!(::core::unreachable!())))
        }
    };
    let json = match serde_json::to_string(&parsed.def) {
        Ok(json) => json,
        Err(e) => {
            let error = syn::Error::new_spanned(&input.ident, format!("strata: {e}"));
            return with_stub(
                vec![error],
                entity_impl(input, quote!(::core::unreachable!())),
            );
        }
    };
    let body = quote!(::strata::__private::entity_from_json(#json));
    let imp = entity_impl(input, body);

    // Each assertion carries the span of what the user wrote, so a type that is neither
    // in the type map nor a DbEnum, or a foreign key to a struct that is not an entity,
    // is an error right there, with the facade traits' on_unimplemented messages.
    let type_asserts = parsed.enum_types.iter().map(|ty| {
        quote_spanned! {ty.span()=> ::strata::__private::assert_pg_type::<#ty>();}
    });
    let entity_asserts = parsed.entity_refs.iter().map(|path| {
        quote_spanned! {path.span()=> ::strata::__private::assert_entity::<#path>();}
    });
    let (impl_generics, _, where_clause) = input.generics.split_for_impl();
    quote! {
        #imp
        const _: () = {
            #[allow(dead_code, non_snake_case)]
            fn __strata_assertions #impl_generics () #where_clause {
                #(#type_asserts)*
                #(#entity_asserts)*
            }
        };
    }
}

fn entity_impl(input: &DeriveInput, body: TokenStream2) -> TokenStream2 {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics ::strata::Entity for #ident #ty_generics #where_clause {
            fn entity() -> ::strata::EntityDef {
                #body
            }
        }
    }
}

fn expand_db_enum(input: &DeriveInput) -> TokenStream2 {
    let def = match strata_core::parse::parse_db_enum(input) {
        Ok(def) => def,
        Err(errors) => {
            return with_stub(errors, db_enum_impl(input, quote!(::core::unreachable!())))
        }
    };
    match serde_json::to_string(&def) {
        Ok(json) => db_enum_impl(input, quote!(::strata::__private::db_enum_from_json(#json))),
        Err(e) => {
            let error = syn::Error::new_spanned(&input.ident, format!("strata: {e}"));
            with_stub(
                vec![error],
                db_enum_impl(input, quote!(::core::unreachable!())),
            )
        }
    }
}

fn db_enum_impl(input: &DeriveInput, body: TokenStream2) -> TokenStream2 {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics ::strata::DbEnum for #ident #ty_generics #where_clause {
            fn db_enum() -> ::strata::DbEnumDef {
                #body
            }
        }
        #[automatically_derived]
        impl #impl_generics ::strata::__private::HasPgType for #ident #ty_generics #where_clause {}
    }
}

/// The errors plus an impl whose body is never run: the user sees the real mistakes,
/// not a cascade of "trait not implemented" wherever the type is used (thiserror's trick).
fn with_stub(errors: Vec<syn::Error>, stub: TokenStream2) -> TokenStream2 {
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote! {
        #(#errors)*
        #stub
    }
}
