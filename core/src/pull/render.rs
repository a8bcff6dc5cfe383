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
    if let Some(n) = &a.name {
        let n = lit(n);
        out.push(quote!(name = #n));
    }
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
    if let Some(t) = &f.sql_type {
        let t = lit(t);
        a.push(quote!(sql_type = #t));
    }
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
    if let Some(c) = &f.collation {
        let c = lit(c);
        a.push(quote!(collation = #c));
    }
    if let Some(d) = &f.default {
        let d = lit(d);
        a.push(quote!(default = #d));
    }
    if let Some(g) = &f.generated {
        let g = lit(g);
        a.push(quote!(generated = #g));
    }
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
        if ix.unique {
            inner.push(quote!(unique));
        }
        if ix.nulls_not_distinct {
            inner.push(quote!(nulls_not_distinct));
        }
        if let Some(n) = &ix.name {
            let n = lit(n);
            inner.push(quote!(name = #n));
        }
        if let Some(m) = &ix.method {
            let m = lit(m);
            inner.push(quote!(method = #m));
        }
        if let Some(p) = &ix.predicate {
            let p = lit(p);
            inner.push(quote!(where = #p));
        }
        if let Some(o) = &ix.opclass {
            let o = lit(o);
            inner.push(quote!(opclass = #o));
        }
        if let Some(o) = &ix.order {
            let o = lit(&o.to_lowercase());
            inner.push(quote!(order = #o));
        }
        if let Some(c) = &ix.collation {
            let c = lit(c);
            inner.push(quote!(collation = #c));
        }
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
                if let Some(c) = &fk.column {
                    let c = lit(c);
                    inner.push(quote!(column = #c));
                }
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
    if let Some(c) = &f.check {
        let c = lit(c);
        a.push(quote!(check = #c));
    }
    if let Some(c) = &f.comment {
        let c = lit(c);
        a.push(quote!(comment = #c));
    }
    a
}

fn idents(names: &[String]) -> Vec<syn::Ident> {
    names.iter().map(|n| ident(n)).collect()
}

/// Every `#[entity(...)]` of the struct, one per key, index, constraint.
fn table_attrs(e: &EntityDef, paths: &Paths) -> Vec<TokenStream> {
    let mut head = Vec::new();
    let t = lit(&e.table_name);
    head.push(quote!(table_name = #t));
    if let Some(s) = &e.schema {
        let s = lit(s);
        head.push(quote!(schema = #s));
    }
    if let Some(t) = &e.string_type {
        let t = lit(t);
        head.push(quote!(string_type = #t));
    }
    if let Some(p) = &e.partition_by {
        let p = lit(p);
        head.push(quote!(partition_by = #p));
    }
    if e.row_level_security {
        head.push(quote!(row_level_security));
    }
    if let Some(c) = &e.comment {
        let c = lit(c);
        head.push(quote!(comment = #c));
    }
    let mut out = vec![quote!(#[entity(#(#head),*)])];
    if !e.primary_key.is_empty() {
        let mut inner: Vec<TokenStream> = idents(&e.primary_key)
            .into_iter()
            .map(|i| quote!(#i))
            .collect();
        if let Some(n) = &e.primary_key_name {
            let n = lit(n);
            inner.push(quote!(name = #n));
        }
        inner.extend(key_flags(&e.primary_key_options));
        out.push(quote!(#[entity(primary_key(#(#inner),*))]));
    }
    for u in &e.uniques {
        let mut inner: Vec<TokenStream> =
            idents(&u.fields).into_iter().map(|i| quote!(#i)).collect();
        if let Some(n) = &u.name {
            let n = lit(n);
            inner.push(quote!(name = #n));
        }
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
                    if let Some(c) = &o.collation {
                        let c = lit(c);
                        parts.push(quote!(collation = #c));
                    }
                    if let Some(c) = &o.opclass {
                        let c = lit(c);
                        parts.push(quote!(opclass = #c));
                    }
                    if let Some(c) = &o.order {
                        let c = lit(&c.to_lowercase());
                        parts.push(quote!(order = #c));
                    }
                    inner.push(quote!(key(#(#parts),*)));
                }
            }
        }
        if ix.unique {
            inner.push(quote!(unique));
        }
        if ix.nulls_not_distinct {
            inner.push(quote!(nulls_not_distinct));
        }
        if let Some(n) = &ix.name {
            let n = lit(n);
            inner.push(quote!(name = #n));
        }
        if let Some(m) = &ix.method {
            let m = lit(m);
            inner.push(quote!(method = #m));
        }
        if let Some(p) = &ix.predicate {
            let p = lit(p);
            inner.push(quote!(where = #p));
        }
        if !ix.include.is_empty() {
            let inc = idents(&ix.include);
            inner.push(quote!(include(#(#inc),*)));
        }
        if let Some(o) = &ix.opclass {
            let o = lit(o);
            inner.push(quote!(opclass = #o));
        }
        if let Some(o) = &ix.order {
            let o = lit(&o.to_lowercase());
            inner.push(quote!(order = #o));
        }
        if let Some(c) = &ix.collation {
            let c = lit(c);
            inner.push(quote!(collation = #c));
        }
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
        if let Some(m) = &x.method {
            let m = lit(m);
            inner.push(quote!(method = #m));
        }
        if let Some(p) = &x.predicate {
            let p = lit(p);
            inner.push(quote!(where = #p));
        }
        if !x.include.is_empty() {
            let inc = idents(&x.include);
            inner.push(quote!(include(#(#inc),*)));
        }
        if let Some(n) = &x.name {
            let n = lit(n);
            inner.push(quote!(name = #n));
        }
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
