//! The layers of `src/` point one way (docs/design.md §1). Held by a test, so that a new import
//! cannot quietly bring a cycle back: the imports between top-level modules are read from the
//! source (`crate::x` paths, `use crate::{x, y}` groups included; comments left out).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` comments (doc comments included), which may name modules freely.
fn code(text: &str) -> String {
    text.lines().map(|line| line.split_once("//").map_or(line, |(code, _)| code)).collect::<Vec<_>>().join("\n")
}

fn identifier(text: &str) -> String {
    text.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// The top-level modules a piece of code names through `crate::`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            named.insert(identifier(rest));
            continue;
        };
        // `use crate::{a, b::{c, d}, e}`: the first identifier of each item at depth one.
        let mut depth = 1;
        let mut item_start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ',' if depth == 1 => item_start = true,
                c if item_start && depth == 1 && (c.is_alphanumeric() || c == '_') => {
                    named.insert(identifier(&group[i..]));
                    item_start = false;
                }
                _ => {}
            }
        }
    }
    named
}

fn graph() -> Graph {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let top = |path: &Path| {
        let first = path.strip_prefix(&root).unwrap().components().next().unwrap();
        first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = files.iter().map(|f| top(f)).filter(|m| m != "lib" && m != "main").collect();
    let mut graph = Graph::new();
    for file in &files {
        let from = top(file);
        if !modules.contains(&from) {
            continue;
        }
        let named = named_modules(&code(&std::fs::read_to_string(file).unwrap()));
        let edges = graph.entry(from.clone()).or_default();
        edges.extend(named.into_iter().filter(|m| modules.contains(m) && *m != from));
    }
    graph
}

/// A cycle, as the modules along it, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(node: &str, graph: &Graph, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = graph();
    assert!(graph.len() > 10, "the source was not read: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle between top-level modules: {}", cycle.join(" -> "));
    }
}

#[test]
fn services_never_import_their_callers() {
    let graph = graph();
    let services = &graph["services"];
    for caller in ["api", "console", "cli", "sync", "startup"] {
        assert!(!services.contains(caller), "services import {caller}");
    }
    // Below the services, nothing imports them either.
    for low in ["zoom", "db", "webhooks", "crypto", "config"] {
        assert!(!graph.get(low).is_some_and(|e| e.contains("services")), "{low} imports services");
    }
}

#[test]
fn the_reader_sees_groups_and_ignores_comments() {
    let named =
        named_modules(&code("use crate::{db::{self, Db}, error::AppError};\n// crate::sync\nx(crate::zoom::f)"));
    assert_eq!(named, BTreeSet::from(["db".to_owned(), "error".to_owned(), "zoom".to_owned()]));
    let mut cyclic = Graph::new();
    cyclic.entry("a".into()).or_default().insert("b".into());
    cyclic.entry("b".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&cyclic), Some(vec!["a".into(), "b".into(), "a".into()]));
}
