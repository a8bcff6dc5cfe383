//! `renamed_from` hints, for columns and tables alike: which ones apply, and the order
//! in which the renames (and the names set aside for them) must run.
//!
//! A hint wins whenever its old object exists. That covers expand/contract: a
//! backfilled `email_v2` becomes `email` while a legacy `email` is still there and
//! goes in the same plan (the legacy object is the one dropped, never the backfilled
//! one). It also covers chains: `email` → `email_legacy` while `email_v2` → `email`.
//! What a hint cannot tell apart from its own history is a name that a kept object
//! still holds: a hint whose old name is also a desired object's name applies only
//! when that object moves away itself (its own hint applies). Swaps and longer cycles
//! never apply that way, so once the renames ran the same hints are history and name
//! nothing: a plan that ran is a fixed point.
//!
//! A legacy object whose name a rename takes is first renamed out of the way (to a
//! free `<name>__old`) and dropped under that name with the other drops, so every step
//! between the renames and the drops, and every down statement, names it
//! unambiguously.
use std::collections::HashMap;

/// Which desired objects' hints apply. `names[i]` is desired object `i`'s name,
/// `hints[i]` its `renamed_from`; `exists(name)` says whether the current side has an
/// object of that name. The least fixed point of "the old object exists, and its name
/// is not a desired one, or the desired object of that name moves away itself".
pub(super) fn applicable_hints(
    names: &[&str],
    hints: &[Option<&str>],
    exists: impl Fn(&str) -> bool,
) -> Vec<bool> {
    let desired: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut applies = vec![false; names.len()];
    // Most objects have no hint: only those that do are looked at again.
    let mut candidates: Vec<usize> = (0..names.len())
        .filter(|&i| hints[i].is_some_and(|old| old != names[i] && exists(old)))
        .collect();
    loop {
        let before = candidates.len();
        candidates.retain(|&i| {
            let Some(old) = hints[i] else { return false };
            let free = match desired.get(old) {
                None => true,
                // The holder of the old name moves away, and not onto this one's name.
                Some(&j) => applies[j] && hints[j] != Some(names[i]),
            };
            if free {
                applies[i] = true;
            }
            !free
        });
        if candidates.len() == before {
            return applies;
        }
    }
}

/// `renames` (from, to) in an order that runs: one whose target a pending rename still
/// holds waits for that one. The hints that apply form no cycle, so nothing is left
/// waiting; if something were, it keeps its given order rather than vanish.
pub(super) fn rename_order<'a>(renames: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut pending: Vec<(&str, &str)> = renames.to_vec();
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|(_, to)| !pending.iter().any(|(from, _)| from == to))
            .unwrap_or(0);
        out.push(pending.remove(ready));
    }
    out
}

/// `<base><suffix>`, numbered (`<suffix>1`, `<suffix>2`, ...) until `taken` says no, and
/// cut to PostgreSQL's 63 bytes on a character boundary.
pub(super) fn free_name(base: &str, suffix: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut pass = 0u32;
    loop {
        let suffix = if pass == 0 {
            suffix.to_string()
        } else {
            format!("{suffix}{pass}")
        };
        let mut end = base
            .len()
            .min(crate::names::MAX_IDENTIFIER_BYTES - suffix.len());
        while !base.is_char_boundary(end) {
            end -= 1;
        }
        let name = format!("{}{suffix}", &base[..end]);
        if !taken(&name) {
            return name;
        }
        pass += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applies(names: &[&str], hints: &[Option<&str>], current: &[&str]) -> Vec<bool> {
        applicable_hints(names, hints, |n| current.contains(&n))
    }

    #[test]
    fn a_hint_applies_while_its_old_object_exists() {
        // Plain rename, then history.
        assert_eq!(applies(&["b"], &[Some("a")], &["a"]), [true]);
        assert_eq!(applies(&["b"], &[Some("a")], &["b"]), [false]);
        // Expand/contract: the legacy `email` is there too; the hint still wins.
        assert_eq!(
            applies(&["email"], &[Some("email_v2")], &["email", "email_v2"]),
            [true]
        );
        assert_eq!(
            applies(&["email"], &[Some("email_v2")], &["email"]),
            [false]
        );
    }

    #[test]
    fn an_old_name_a_kept_object_holds_is_history() {
        // `a` is still desired under its own name: the hint of `b` is history.
        assert_eq!(
            applies(&["a", "b"], &[None, Some("a")], &["a", "b"]),
            [false, false]
        );
    }

    #[test]
    fn chains_apply_and_cycles_never_do() {
        // email -> email_legacy while email_v2 -> email.
        let names = ["email_legacy", "email"];
        let hints = [Some("email"), Some("email_v2")];
        assert_eq!(
            applies(&names, &hints, &["email", "email_v2"]),
            [true, true]
        );
        // Once run: both are history.
        assert_eq!(
            applies(&names, &hints, &["email_legacy", "email"]),
            [false, false]
        );
        // A swap is indistinguishable from its own history: never applied.
        assert_eq!(
            applies(&["a", "b"], &[Some("b"), Some("a")], &["a", "b"]),
            [false, false]
        );
        assert_eq!(
            applies(
                &["a", "b", "c"],
                &[Some("c"), Some("a"), Some("b")],
                &["a", "b", "c"]
            ),
            [false, false, false]
        );
    }

    #[test]
    fn renames_wait_for_the_one_that_frees_their_target() {
        assert_eq!(
            rename_order(&[("email_v2", "email"), ("email", "email_legacy")]),
            [("email", "email_legacy"), ("email_v2", "email")]
        );
        assert_eq!(
            rename_order(&[("a", "b"), ("c", "d")]),
            [("a", "b"), ("c", "d")]
        );
    }

    #[test]
    fn free_names_are_numbered_and_fit_63_bytes() {
        assert_eq!(free_name("email", "__old", |_| false), "email__old");
        assert_eq!(
            free_name("email", "__old", |n| n == "email__old"),
            "email__old1"
        );
        let long = "é".repeat(31) + "x";
        let name = free_name(&long, "__old", |_| false);
        assert!(name.len() <= 63 && name.ends_with("__old"), "{name}");
    }
}
