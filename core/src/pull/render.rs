//! Entities and enums → Rust source: a `syn::File` built with `quote!`, printed by
//! prettyplease. Strings are `syn::LitStr`s, so any text comes out escaped right.

use super::enums::PulledEnum;
use crate::entity::{
    EntityDef, FieldDef, FkActions, FkTarget, IdentityKind, IndexKey, KeyOptions, RustType,
};
use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;
use std::collections::HashMap;

fn lit(s: &str) -> syn::LitStr {
    syn::LitStr::new(s, Span::call_site())
}

fn ident(s: &str) -> syn::Ident {
    syn::Ident::new(s, Span::call_site())
}

fn num(n: u32) -> Literal {
    Literal::u32_unsuffixed(n)
}

/// Where each struct and enum lives, to name it from another module.
pub struct Paths<'a> {
    /// Rust name → module.
    pub modules: &'a HashMap<String, String>,
    /// The module being written.
    pub here: &'a str,
}

impl Paths<'_> {
    fn path(&self, rust_name: &str) -> TokenStream {
        let name = ident(rust_name);
        match self.modules.get(rust_name) {
            Some(m) if m != self.here => {
                let m = ident(m);
                quote!(super::#m::#name)
            }
            _ => quote!(#name),
        }
    }
}

fn rust_type(ty: &RustType, paths: &Paths) -> TokenStream {
    match ty {
        RustType::Bool => quote!(bool),
        RustType::I16 => quote!(i16),
        RustType::I32 => quote!(i32),
        RustType::I64 => quote!(i64),
        RustType::F32 => quote!(f32),
        RustType::F64 => quote!(f64),
        RustType::String => quote!(String),
        RustType::Bytes => quote!(Vec<u8>),
        RustType::Uuid => quote!(uuid::Uuid),
        RustType::TimestampTz => quote!(chrono::DateTime<chrono::Utc>),
        RustType::Timestamp => quote!(chrono::NaiveDateTime),
        RustType::Date => quote!(chrono::NaiveDate),
        RustType::Time => quote!(chrono::NaiveTime),
        RustType::Decimal => quote!(rust_decimal::Decimal),
        RustType::Json => quote!(serde_json::Value),
        RustType::Inet => quote!(std::net::IpAddr),
        RustType::Array(inner) => {
            let inner = rust_type(inner, paths);
            quote!(Vec<#inner>)
        }
        RustType::Named(name) => paths.path(name),
    }
}

/// `deferrable` / `initially_deferred` / `nulls_not_distinct` words.
fn key_flags(o: &KeyOptions) -> Vec<TokenStream> {
    let mut out = Vec::new();
    if o.nulls_not_distinct {
        out.push(quote!(nulls_not_distinct));
    }
    if o.initially_deferred {
        out.push(quote!(initially_deferred));
    } else if o.deferrable {
        out.push(quote!(deferrable));
    }
    out
}

fn actions(a: &FkActions) -> Vec<TokenStream> {
    let mut out = Vec::new();
    if let Some(d) = &a.on_delete {
        let d = lit(&d.to_lowercase());
        out.push(quote!(on_delete = #d));
    }
    if let Some(u) = &a.on_update {
        let u = lit(&u.to_lowercase());
        out.push(quote!(on_update = #u));
    }
    if a.initially_deferred {
        out.push(quote!(initially_deferred));
    } else if a.deferrable {
        out.push(quote!(deferrable));
    }
    string_option(&mut out, quote!(name), a.name.as_deref());
    out
}

fn reference(schema: Option<&str>, table: &str, columns: &[String]) -> String {
    let part = |n: &str| {
        if !n.is_empty() && n.bytes().all(crate::lex::token::is_ident_cont) {
            n.to_string()
        } else {
            format!("\"{}\"", n.replace('"', "\"\""))
        }
    };
    let mut s = match schema {
        Some(s) if s != "public" => format!("{}.{}", part(s), part(table)),
        _ => part(table),
    };
    if !columns.is_empty() {
        let cols: Vec<String> = columns.iter().map(|c| part(c)).collect();
        s.push_str(&format!("({})", cols.join(", ")));
    }
    s
}

fn field_attrs(e: &EntityDef, f: &FieldDef, paths: &Paths) -> Vec<TokenStream> {
    let mut a = Vec::new();
    if f.column_name != f.rust_name {
        let c = lit(&f.column_name);
        a.push(quote!(rename = #c));
    }
    if f.primary_key && e.primary_key.is_empty() {
        match &e.primary_key_name {
            Some(n) => {
                let n = lit(n);
                a.push(quote!(primary_key(name = #n)));
            }
            None => a.push(quote!(primary_key)),
        }
    }
    match f.identity {
        Some(IdentityKind::ByDefault) => a.push(quote!(identity)),
        Some(IdentityKind::Always) => a.push(quote!(identity = "always")),
        None => {}
    }
    if f.serial {
        a.push(quote!(serial));
    }
    string_option(&mut a, quote!(sql_type), f.sql_type.as_deref());
    if let Some(n) = f.length {
        let n = num(n);
        a.push(quote!(length = #n));
    }
    if let Some(n) = f.precision {
        let n = num(n);
        a.push(quote!(precision = #n));
    }
    if let Some(n) = f.scale {
        let n = num(n);
        a.push(quote!(scale = #n));
    }
    string_option(&mut a, quote!(collation), f.collation.as_deref());
    string_option(&mut a, quote!(default), f.default.as_deref());
    string_option(&mut a, quote!(generated), f.generated.as_deref());
    match (&f.unique, f.unique_options.is_default()) {
        (None, _) => {}
        (Some(None), true) => a.push(quote!(unique)),
        (Some(Some(n)), true) => {
            let n = lit(n);
            a.push(quote!(unique = #n));
        }
        (Some(name), false) => {
            let mut inner = Vec::new();
            if let Some(n) = name {
                let n = lit(n);
                inner.push(quote!(name = #n));
            }
            inner.extend(key_flags(&f.unique_options));
            a.push(quote!(unique(#(#inner),*)));
        }
    }
    if let Some(ix) = &f.index {
        let mut inner = Vec::new();
        index_options(
            &mut inner,
            &IndexOptions {
                unique: ix.unique,
                nulls_not_distinct: ix.nulls_not_distinct,
                name: ix.name.as_deref(),
                method: ix.method.as_deref(),
                predicate: ix.predicate.as_deref(),
                include: &[],
                opclass: ix.opclass.as_deref(),
                order: ix.order.as_deref(),
                collation: ix.collation.as_deref(),
            },
        );
        if inner.is_empty() {
            a.push(quote!(index));
        } else {
            a.push(quote!(index(#(#inner),*)));
        }
    }
    if let Some(fk) = &f.foreign_key {
        let acts = actions(&fk.actions);
        match &fk.target {
            FkTarget::Entity(name) => {
                let path = paths.path(name);
                let mut inner = vec![path];
                string_option(&mut inner, quote!(column), fk.column.as_deref());
                inner.extend(acts);
                a.push(quote!(foreign_key(#(#inner),*)));
            }
            FkTarget::Table {
                schema,
                table,
                columns,
            } => {
                let r = lit(&reference(schema.as_deref(), table, columns));
                a.push(quote!(references = #r));
                a.extend(acts);
            }
        }
    }
    string_option(&mut a, quote!(check), f.check.as_deref());
    string_option(&mut a, quote!(comment), f.comment.as_deref());
    a
}

/// What an `index(...)` says besides its keys, on a field or on the struct.
struct IndexOptions<'a> {
    unique: bool,
    nulls_not_distinct: bool,
    name: Option<&'a str>,
    method: Option<&'a str>,
    predicate: Option<&'a str>,
    include: &'a [String],
    opclass: Option<&'a str>,
    order: Option<&'a str>,
    collation: Option<&'a str>,
}

fn index_options(out: &mut Vec<TokenStream>, o: &IndexOptions) {
    if o.unique {
        out.push(quote!(unique));
    }
    if o.nulls_not_distinct {
        out.push(quote!(nulls_not_distinct));
    }
    string_option(out, quote!(name), o.name);
    string_option(out, quote!(method), o.method);
    string_option(out, quote!(where), o.predicate);
    if !o.include.is_empty() {
        let inc = idents(o.include);
        out.push(quote!(include(#(#inc),*)));
    }
    string_option(out, quote!(opclass), o.opclass);
    string_option(
        out,
        quote!(order),
        o.order.map(str::to_lowercase).as_deref(),
    );
    string_option(out, quote!(collation), o.collation);
}

/// `key = "value"`, when there is a value.
fn string_option(out: &mut Vec<TokenStream>, key: TokenStream, value: Option<&str>) {
    if let Some(v) = value {
        let v = lit(v);
        out.push(quote!(#key = #v));
    }
}

fn idents(names: &[String]) -> Vec<syn::Ident> {
    names.iter().map(|n| ident(n)).collect()
}

/// Every `#[entity(...)]` of the struct, one per key, index, constraint.
fn table_attrs(e: &EntityDef, paths: &Paths) -> Vec<TokenStream> {
    let mut head = Vec::new();
    let t = lit(&e.table_name);
    head.push(quote!(table_name = #t));
    string_option(&mut head, quote!(schema), e.schema.as_deref());
    string_option(&mut head, quote!(string_type), e.string_type.as_deref());
    string_option(&mut head, quote!(partition_by), e.partition_by.as_deref());
    if e.row_level_security {
        head.push(quote!(row_level_security));
    }
    string_option(&mut head, quote!(comment), e.comment.as_deref());
    let mut out = vec![quote!(#[entity(#(#head),*)])];
    if !e.primary_key.is_empty() {
        let mut inner: Vec<TokenStream> = idents(&e.primary_key)
            .into_iter()
            .map(|i| quote!(#i))
            .collect();
        string_option(&mut inner, quote!(name), e.primary_key_name.as_deref());
        inner.extend(key_flags(&e.primary_key_options));
        out.push(quote!(#[entity(primary_key(#(#inner),*))]));
    }
    for u in &e.uniques {
        let mut inner: Vec<TokenStream> =
            idents(&u.fields).into_iter().map(|i| quote!(#i)).collect();
        string_option(&mut inner, quote!(name), u.name.as_deref());
        inner.extend(key_flags(&u.options));
        out.push(quote!(#[entity(unique(#(#inner),*))]));
    }
    for ix in &e.indexes {
        let mut inner = Vec::new();
        for (k, key) in ix.keys.iter().enumerate() {
            let own = ix
                .key_options
                .get(k)
                .filter(|o| o.collation.is_some() || o.opclass.is_some() || o.order.is_some());
            let key_tokens = match key {
                IndexKey::Field(f) => {
                    let f = ident(f);
                    quote!(#f)
                }
                IndexKey::Expr(x) => {
                    let x = lit(x);
                    quote!(expr = #x)
                }
            };
            match own {
                None => inner.push(key_tokens),
                Some(o) => {
                    let mut parts = vec![key_tokens];
                    string_option(&mut parts, quote!(collation), o.collation.as_deref());
                    string_option(&mut parts, quote!(opclass), o.opclass.as_deref());
                    if let Some(c) = &o.order {
                        let c = lit(&c.to_lowercase());
                        parts.push(quote!(order = #c));
                    }
                    inner.push(quote!(key(#(#parts),*)));
                }
            }
        }
        index_options(
            &mut inner,
            &IndexOptions {
                unique: ix.unique,
                nulls_not_distinct: ix.nulls_not_distinct,
                name: ix.name.as_deref(),
                method: ix.method.as_deref(),
                predicate: ix.predicate.as_deref(),
                include: &ix.include,
                opclass: ix.opclass.as_deref(),
                order: ix.order.as_deref(),
                collation: ix.collation.as_deref(),
            },
        );
        out.push(quote!(#[entity(index(#(#inner),*))]));
    }
    for fk in &e.foreign_keys {
        let cols = idents(&fk.fields);
        let path = paths.path(&fk.references);
        let mut inner = vec![quote!(columns(#(#cols),*)), quote!(references = #path)];
        if !fk.ref_fields.is_empty() {
            let refs = idents(&fk.ref_fields);
            inner.push(quote!(ref_columns(#(#refs),*)));
        }
        inner.extend(actions(&fk.actions));
        out.push(quote!(#[entity(foreign_key(#(#inner),*))]));
    }
    for c in &e.checks {
        let x = lit(&c.expr);
        match &c.name {
            Some(n) => {
                let n = lit(n);
                out.push(quote!(#[entity(check(name = #n, expr = #x))]));
            }
            None => out.push(quote!(#[entity(check(expr = #x))])),
        }
    }
    for x in &e.exclusions {
        let el = lit(&x.elements);
        let mut inner = vec![quote!(elements = #el)];
        string_option(&mut inner, quote!(method), x.method.as_deref());
        string_option(&mut inner, quote!(where), x.predicate.as_deref());
        if !x.include.is_empty() {
            let inc = idents(&x.include);
            inner.push(quote!(include(#(#inc),*)));
        }
        string_option(&mut inner, quote!(name), x.name.as_deref());
        inner.extend(key_flags(&x.options));
        out.push(quote!(#[entity(exclude(#(#inner),*))]));
    }
    out
}

/// The struct of one entity.
pub fn entity_item(e: &EntityDef, paths: &Paths) -> TokenStream {
    let name = ident(&e.rust_name);
    let attrs = table_attrs(e, paths);
    let fields = e.fields.iter().map(|f| {
        let fname = ident(&f.rust_name);
        let mut ty = rust_type(&f.ty, paths);
        if f.nullable {
            ty = quote!(Option<#ty>);
        }
        let a = field_attrs(e, f, paths);
        let attr = (!a.is_empty()).then(|| quote!(#[entity(#(#a),*)]));
        quote! {
            #attr
            pub #fname: #ty
        }
    });
    quote! {
        #[derive(strata::Entity)]
        #(#attrs)*
        pub struct #name {
            #(#fields,)*
        }
    }
}

/// The enum of one enum type.
pub fn enum_item(e: &PulledEnum) -> TokenStream {
    let name = ident(&e.def.rust_name);
    let type_name = lit(&e.type_name_attr());
    let head = match e.rename_all {
        Some(rule) => {
            let rule = lit(rule);
            quote!(#[sqlx(type_name = #type_name, rename_all = #rule)])
        }
        None => quote!(#[sqlx(type_name = #type_name)]),
    };
    let variants = e.def.variants.iter().zip(&e.renamed).map(|(v, renamed)| {
        let vname = ident(&v.rust_name);
        if *renamed {
            let label = lit(&v.label);
            quote!(#[sqlx(rename = #label)] #vname)
        } else {
            quote!(#vname)
        }
    });
    quote! {
        #[derive(strata::DbEnum)]
        #head
        pub enum #name {
            #(#variants,)*
        }
    }
}

/// A whole file: its inner doc line and items, formatted.
pub fn file(doc: &str, items: Vec<TokenStream>) -> String {
    let doc = lit(doc);
    let tokens = quote! {
        #![doc = #doc]
        #(#items)*
    };
    match syn::parse2::<syn::File>(tokens) {
        Ok(f) => spaced(&prettyplease::unparse(&f)),
        // Everything above is built from valid identifiers and literals.
        Err(e) => format!("// strata pull could not format this file: {e}\n"),
    }
}

/// A blank line between items, as rustfmt leaves hand-written code.
fn spaced(source: &str) -> String {
    let mut out = String::new();
    let mut prev_closed_item = false;
    for line in source.lines() {
        let starts_item = line.starts_with("#[derive") || line.starts_with("pub mod");
        if starts_item && prev_closed_item {
            out.push('\n');
        }
        prev_closed_item = line == "}" || line.starts_with("//!") || line.starts_with("pub mod");
        if line.starts_with("pub mod") {
            prev_closed_item = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
