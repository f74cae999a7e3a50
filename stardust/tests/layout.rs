//! The source layout shows the architecture: inside each crate, sibling modules never import
//! each other in a circle, so every folder reads in one direction (e.g. `connection` →
//! `session` → `wire` → `channel` in the engine, `systems` → `transport` → `port_io` →
//! `socket` in the UDP transport).
//!
//! Each crate's `src/` is parsed with `syn`. A module depends on a sibling (at any level of
//! the tree) when code outside its `#[cfg(test)]` modules names a path into that sibling, in
//! a `use` or in an expression or type, directly or through a `pub use` re-export. A child
//! naming its parent's own items, or a parent its children, is not a sibling dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module path inside one crate, e.g. `["udp", "port_io", "peers"]`; the root is empty.
type ModPath = Vec<String>;

/// What one source file says about dependencies.
#[derive(Default)]
struct FileFacts {
    /// Every `crate::`/`super::`/`self::` path it names, as written, outside test modules.
    paths: Vec<Vec<String>>,
    /// Its re-exports: name → the path it re-exports.
    reexports: BTreeMap<String, Vec<String>>,
}

/// Collects paths from `use` trees and from every path in the code.
struct Collector<'a> {
    facts: &'a mut FileFacts,
}

fn is_test_module(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr.meta.require_list().is_ok_and(|list| {
                list.tokens.to_string().split(|c: char| !c.is_alphanumeric()).any(|t| t == "test")
            })
    })
}

fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            use_paths(&path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) => {
            let mut full = prefix.clone();
            full.push(name.ident.to_string());
            out.push((full, name.ident.to_string()));
        }
        syn::UseTree::Rename(rename) => {
            let mut full = prefix.clone();
            full.push(rename.ident.to_string());
            out.push((full, rename.rename.to_string()));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), "*".to_owned())),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                use_paths(tree, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_test_module(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut found = Vec::new();
        use_paths(&item.tree, &mut Vec::new(), &mut found);
        let public = !matches!(item.vis, syn::Visibility::Inherited);
        for (path, name) in found {
            if public && name != "*" {
                self.facts.reexports.insert(name, path.clone());
            }
            self.facts.paths.push(path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 && ["crate", "super", "self"].contains(&segments[0].as_str()) {
            self.facts.paths.push(segments);
        }
        syn::visit::visit_path(self, path);
    }
}

/// Every module of the crate rooted at `src`, with the facts of its file.
fn read_crate(src: &Path) -> BTreeMap<ModPath, FileFacts> {
    let mut modules = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                let file = syn::parse_file(&text)
                    .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
                let mut facts = FileFacts::default();
                Collector { facts: &mut facts }.visit_file(&file);
                modules.insert(module_path(src, &path), facts);
            }
        }
    }
    modules
}

fn module_path(src: &Path, file: &Path) -> ModPath {
    let relative = file.strip_prefix(src).expect("under src").with_extension("");
    let mut parts: ModPath =
        relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The module a path written in module `from` points into, following re-exports.
fn resolve(
    modules: &BTreeMap<ModPath, FileFacts>,
    from: &ModPath,
    path: &[String],
    depth: usize,
) -> Option<ModPath> {
    let (mut current, rest) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (from.clone(), &path[1..]),
        "super" => {
            let mut current = from.clone();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                current.pop()?;
                rest = &rest[1..];
            }
            (current, rest)
        }
        // A path naming a child module (2018 paths: `use wire::ReasonCode;` in `lib.rs`).
        first => {
            let mut child = from.clone();
            child.push(first.to_owned());
            if !modules.contains_key(&child) {
                return None; // another crate, or an item in scope
            }
            (from.clone(), path)
        }
    };
    for (index, segment) in rest.iter().enumerate() {
        let mut child = current.clone();
        child.push(segment.clone());
        if modules.contains_key(&child) {
            current = child;
            continue;
        }
        // Not a module: an item, perhaps re-exported from elsewhere.
        let target = modules.get(&current)?.reexports.get(segment);
        if let Some(target) = target.filter(|_| depth < 8) {
            let mut forwarded = target.clone();
            forwarded.extend(rest[index + 1..].iter().cloned());
            return resolve(modules, &current, &forwarded, depth + 1).or(Some(current));
        }
        break;
    }
    Some(current)
}

/// For each module with children: which child depends on which sibling.
fn sibling_edges(modules: &BTreeMap<ModPath, FileFacts>) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (from, facts) in modules {
        for path in &facts.paths {
            let Some(to) = resolve(modules, from, path, 0) else { continue };
            let shared = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if shared == from.len() || shared == to.len() {
                continue; // a module and its own ancestor or descendant
            }
            edges.entry(from[..=shared].to_vec()).or_default().insert(to[..=shared].to_vec());
        }
    }
    edges
}

/// One circle among siblings, if any: the modules around it.
fn find_circle(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Option<Vec<ModPath>> {
    fn visit(
        node: &ModPath,
        edges: &BTreeMap<ModPath, BTreeSet<ModPath>>,
        stack: &mut Vec<ModPath>,
        done: &mut BTreeSet<ModPath>,
    ) -> Option<Vec<ModPath>> {
        if let Some(start) = stack.iter().position(|n| n == node) {
            return Some(stack[start..].to_vec());
        }
        if !done.insert(node.clone()) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src")
}

fn assert_no_circle(name: &str) {
    let modules = read_crate(&crate_src(name));
    assert!(modules.len() > 3, "{name}: found only {} modules", modules.len());
    let edges = sibling_edges(&modules);
    if let Some(circle) = find_circle(&edges) {
        let names: Vec<String> = circle.iter().map(|m| m.join("::")).collect();
        panic!("{name}: sibling modules import each other in a circle: {}", names.join(" → "));
    }
}

#[test]
fn the_runtime_has_no_import_circle() {
    assert_no_circle("stardust");
}

#[test]
fn the_engine_has_no_import_circle() {
    assert_no_circle("stardust_proto");
}

#[test]
fn the_derive_has_no_import_circle() {
    assert_no_circle("stardust_derive");
}

#[test]
fn a_circle_is_found_when_there_is_one() {
    let mut modules = BTreeMap::new();
    let file = |paths: &[&str]| FileFacts {
        paths: paths.iter().map(|p| p.split("::").map(str::to_owned).collect()).collect(),
        reexports: BTreeMap::new(),
    };
    let module = |path: &str| -> ModPath { path.split("::").map(str::to_owned).collect() };
    modules.insert(Vec::new(), file(&[]));
    modules.insert(module("a"), file(&[]));
    modules.insert(module("a::x"), file(&["super::y::Item"]));
    modules.insert(module("a::y"), file(&["crate::a::z::f"]));
    modules.insert(module("a::z"), file(&["super::x::g"]));
    modules.insert(module("b"), file(&["crate::a::x::h"]));
    let circle = find_circle(&sibling_edges(&modules)).expect("x → y → z → x");
    assert_eq!(circle.len(), 3);
    modules.insert(module("a::z"), file(&["super::super::b::k"]));
    let edges = sibling_edges(&modules);
    assert_eq!(find_circle(&edges), Some(vec![module("a"), module("b")]), "a → b → a");
}
