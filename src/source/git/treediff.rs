//! A tree-to-tree diff that skips identical subtrees.
//!
//! libgit2's `diff_tree_to_tree` visits every entry of both trees, so on a
//! history walk it costs O(tree size) per commit; comparing subtree ids
//! first makes it O(changed paths × depth), which is what a commit usually
//! touches. No rename detection here: attribution asks libgit2 for that,
//! only for the commits whose added files hold findings.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

use git2::{Oid, Repository, Tree};

/// Git's file modes, as stored in trees.
pub const MODE_TREE: i32 = 0o040000;

/// One side of a changed path: blob (or link, or gitlink) id and mode.
pub type Side = (Oid, i32);

/// A path whose entry differs between the two trees. `old`/`new` is `None`
/// where the path does not exist (or is a directory) on that side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeChange {
    pub path: Vec<u8>,
    pub old: Option<Side>,
    pub new: Option<Side>,
}

/// Diffs trees, keeping the trees read on the new side of recent diffs:
/// in a history walk a commit's parent is usually a recent commit, so its
/// changed subtrees are already parsed. Memory: the changed subtrees of the
/// last [`KEEP_DIFFS`] diffs.
pub struct TreeDiff<'r> {
    repo: &'r Repository,
    /// Tree id → (tree, the diff that last used it).
    cache: HashMap<Oid, (Rc<Tree<'r>>, u64)>,
    generation: u64,
}

/// How many diffs a cached tree survives unused.
pub const KEEP_DIFFS: u64 = 64;

impl<'r> TreeDiff<'r> {
    pub fn new(repo: &'r Repository) -> TreeDiff<'r> {
        TreeDiff {
            repo,
            cache: HashMap::new(),
            generation: 0,
        }
    }

    /// Appends to `out` every non-directory path that differs between the
    /// trees `old` and `new` (`None` is the empty tree), in tree order.
    pub fn diff(
        &mut self,
        old: Option<Oid>,
        new: Option<Oid>,
        out: &mut Vec<TreeChange>,
    ) -> Result<(), git2::Error> {
        self.generation += 1;
        if self.generation.is_multiple_of(KEEP_DIFFS) {
            let oldest = self.generation - KEEP_DIFFS;
            self.cache.retain(|_, (_, used)| *used > oldest);
        }
        let mut prefix = Vec::new();
        self.diff_into(old, new, &mut prefix, out)
    }

    fn tree(&mut self, id: Oid) -> Result<Rc<Tree<'r>>, git2::Error> {
        let generation = self.generation;
        if let Some((tree, used)) = self.cache.get_mut(&id) {
            *used = generation;
            return Ok(Rc::clone(tree));
        }
        let tree = Rc::new(self.repo.find_tree(id)?);
        self.cache.insert(id, (Rc::clone(&tree), generation));
        Ok(tree)
    }

    fn diff_into(
        &mut self,
        old: Option<Oid>,
        new: Option<Oid>,
        prefix: &mut Vec<u8>,
        out: &mut Vec<TreeChange>,
    ) -> Result<(), git2::Error> {
        if old == new {
            return Ok(());
        }
        let old_tree = old.map(|o| self.tree(o)).transpose()?;
        let new_tree = new.map(|o| self.tree(o)).transpose()?;
        let (a, b) = (entries(old_tree.as_deref()), entries(new_tree.as_deref()));
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let ord = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) => tree_order(x, y),
                (Some(_), None) => Ordering::Less,
                _ => Ordering::Greater,
            };
            match ord {
                Ordering::Less => {
                    self.entry(Some(&a[i]), None, prefix, out)?;
                    i += 1;
                }
                Ordering::Greater => {
                    self.entry(None, Some(&b[j]), prefix, out)?;
                    j += 1;
                }
                Ordering::Equal => {
                    let (x, y) = (&a[i], &b[j]);
                    if x.id() != y.id() || x.mode != y.mode {
                        self.entry(Some(x), Some(y), prefix, out)?;
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        Ok(())
    }

    /// One name present on either side (both sides share the name and the
    /// tree-ness, by [`tree_order`]).
    fn entry(
        &mut self,
        old: Option<&Entry<'_>>,
        new: Option<&Entry<'_>>,
        prefix: &mut Vec<u8>,
        out: &mut Vec<TreeChange>,
    ) -> Result<(), git2::Error> {
        let name = old.or(new).map_or(&[][..], Entry::name);
        let len = prefix.len();
        prefix.extend_from_slice(name);
        let is_tree = old.or(new).is_some_and(Entry::is_tree);
        let res = if is_tree {
            prefix.push(b'/');
            self.diff_into(old.map(Entry::id), new.map(Entry::id), prefix, out)
        } else {
            out.push(TreeChange {
                path: prefix.clone(),
                old: old.map(|e| (e.id(), e.mode)),
                new: new.map(|e| (e.id(), e.mode)),
            });
            Ok(())
        };
        prefix.truncate(len);
        res
    }
}

/// A tree entry borrowed from its tree, with its mode read once.
struct Entry<'t> {
    entry: git2::TreeEntry<'t>,
    mode: i32,
}

impl Entry<'_> {
    fn name(&self) -> &[u8] {
        self.entry.name_bytes()
    }

    fn id(&self) -> Oid {
        self.entry.id()
    }

    fn is_tree(&self) -> bool {
        self.mode == MODE_TREE
    }
}

fn entries<'t>(tree: Option<&'t Tree<'_>>) -> Vec<Entry<'t>> {
    tree.map(|t| {
        t.iter()
            .map(|entry| Entry {
                mode: entry.filemode(),
                entry,
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Git's tree entry order: by name bytes, a directory's name compared as if
/// it ended in `/`. A file and a directory of the same name therefore
/// never compare equal.
fn tree_order(a: &Entry<'_>, b: &Entry<'_>) -> Ordering {
    let key = |e: &Entry<'_>, k: usize| -> u8 {
        match e.name().get(k) {
            Some(&c) => c,
            None if e.is_tree() => b'/',
            None => 0,
        }
    };
    let (an, bn) = (a.name(), b.name());
    let common = an.len().min(bn.len());
    an[..common]
        .cmp(&bn[..common])
        .then_with(|| key(a, common).cmp(&key(b, common)))
        .then_with(|| an.len().cmp(&bn.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: i32 = 0o100644;

    /// Builds nested trees from `path → content`.
    fn tree(repo: &Repository, files: &[(&str, &str)]) -> Oid {
        let mut b = repo.treebuilder(None).unwrap();
        let mut dirs: std::collections::BTreeMap<&str, Vec<(&str, &str)>> = Default::default();
        for &(path, content) in files {
            match path.split_once('/') {
                Some((dir, rest)) => dirs.entry(dir).or_default().push((rest, content)),
                None => {
                    let blob = repo.blob(content.as_bytes()).unwrap();
                    b.insert(path, blob, FILE).unwrap();
                }
            }
        }
        for (dir, files) in dirs {
            b.insert(dir, tree(repo, &files), MODE_TREE).unwrap();
        }
        b.write().unwrap()
    }

    #[test]
    fn changes_only_and_in_tree_order() {
        let tmp = tempfile::TempDir::new().unwrap();
        let repo = Repository::init_bare(tmp.path()).unwrap();
        let old = tree(
            &repo,
            &[
                ("a/x", "1"),
                ("a/y", "2"),
                ("b", "3"),
                ("c/d/e", "4"),
                ("b0", "7"),
            ],
        );
        let new = tree(
            &repo,
            &[
                ("a/x", "1"),
                ("a/y", "5"),
                ("b/z", "3"),
                ("c/d/e", "4"),
                ("b0", "7"),
                ("f", "6"),
            ],
        );
        let mut out = Vec::new();
        let mut td = TreeDiff::new(&repo);
        td.diff(Some(old), Some(new), &mut out).unwrap();
        let blob = |s: &str| Some((repo.blob(s.as_bytes()).unwrap(), FILE));
        let paths: Vec<(String, Option<Side>, Option<Side>)> = out
            .into_iter()
            .map(|c| (String::from_utf8(c.path).unwrap(), c.old, c.new))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("a/y".into(), blob("2"), blob("5")),
                ("b".into(), blob("3"), None),
                ("b/z".into(), None, blob("3")),
                ("f".into(), None, blob("6")),
            ]
        );
        let mut all = Vec::new();
        td.diff(None, Some(old), &mut all).unwrap();
        assert_eq!(all.len(), 5);
        assert!(all.iter().all(|c| c.old.is_none()));
        let mut none = Vec::new();
        td.diff(Some(new), Some(new), &mut none).unwrap();
        assert!(none.is_empty());
    }
}
