//! Pairs the current and desired objects of one kind on one table (unique constraints,
//! checks, indexes, foreign keys): first the same object unchanged (same name, same
//! definition), then the same definition under another name, which is a rename rather
//! than a drop and an add. Whatever is left is dropped or added by the caller.

pub(super) struct Matching {
    /// Current objects that found their desired counterpart.
    pub current_done: Vec<bool>,
    /// Desired objects that found their current counterpart.
    pub desired_done: Vec<bool>,
    /// `(current, desired)` with one definition under two names, in desired order.
    pub renamed: Vec<(usize, usize)>,
}

/// `usable(c)`: current object `c` survives the plan's column changes (one that loses a
/// column matches nothing). `same_name(c, d)` and `same_definition(c, d)` compare
/// current object `c` with desired object `d`.
pub(super) fn match_objects(
    current: usize,
    desired: usize,
    usable: impl Fn(usize) -> bool,
    same_name: impl Fn(usize, usize) -> bool,
    same_definition: impl Fn(usize, usize) -> bool,
) -> Matching {
    let mut m = Matching {
        current_done: vec![false; current],
        desired_done: vec![false; desired],
        renamed: Vec::new(),
    };
    let free = |m: &Matching, c: usize| !m.current_done[c] && usable(c);
    for d in 0..desired {
        if let Some(c) =
            (0..current).find(|&c| free(&m, c) && same_name(c, d) && same_definition(c, d))
        {
            m.current_done[c] = true;
            m.desired_done[d] = true;
        }
    }
    for d in 0..desired {
        if m.desired_done[d] {
            continue;
        }
        if let Some(c) = (0..current).find(|&c| free(&m, c) && same_definition(c, d)) {
            m.current_done[c] = true;
            m.desired_done[d] = true;
            m.renamed.push((c, d));
        }
    }
    m
}
