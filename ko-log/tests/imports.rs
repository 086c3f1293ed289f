//! The import structure of `ko-log/src`, measured from its `crate::` paths, the figures
//! docs/ARCHITECTURE.md quotes: `cargo test --locked -p ko-log --test imports -- --nocapture`.
//!
//! A node is a top-level module of the crate (a file or folder of `ko-log/src` but
//! `lib.rs`, whose `pub use` lines only say where a root name comes from); an edge is
//! "some file of A names `crate::B`" (a root re-export such as `crate::Event` counts as
//! its module; macros and `crate::config` as none). Unit-test modules
//! (`#[cfg(test)] mod tests`) are left out. Printed: the modules, the imports between them, the largest set of
//! modules that import each other in one cycle, and the imports inside such cycles.
//! Asserted: what the boundary promises (no component reaches the dispatcher).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("readable source tree")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comment lines and without its unit tests.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("readable source");
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    let lines = text.lines().filter(|l| !l.trim_start().starts_with("//"));
    lines.collect::<Vec<_>>().join("\n")
}

/// The first identifier of every path named after `crate::` (each item of a brace group).
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // `ko_log_crate::`, not ours.
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut start) = (0, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.push(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.push(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// Module -> the modules it imports.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let module_of = |path: &Path| -> String {
        let first = path.strip_prefix(src).unwrap().components().next().unwrap();
        let name = first.as_os_str().to_string_lossy();
        name.trim_end_matches(".rs").to_owned()
    };
    files.retain(|f| f != &src.join("lib.rs"));
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    // `pub use module::{Name, ..}` in lib.rs: where a root name comes from.
    let mut reexported = BTreeMap::new();
    for line in code(&src.join("lib.rs")).lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        if modules.contains(module) {
            for name in names.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                reexported.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        let edges = graph.entry(from.clone()).or_default();
        for name in crate_paths(&code(file)) {
            let to = match modules.contains(&name) {
                true => Some(name),
                false => reexported.get(&name).cloned(),
            };
            edges.extend(to.filter(|to| *to != from));
        }
    }
    graph
}

#[test]
fn import_figures() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph(&src);
    let names: Vec<&String> = graph.keys().collect();
    let n = names.len();
    let index = |m: &str| names.iter().position(|x| *x == m).unwrap();
    let mut reach = vec![vec![false; n]; n];
    for (from, tos) in &graph {
        for to in tos {
            reach[index(from)][index(to)] = true;
        }
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                reach[i][j] |= reach[i][k] && reach[k][j];
            }
        }
    }
    let cycle_of = |i: usize| -> Vec<usize> {
        (0..n)
            .filter(|&j| j == i || (reach[i][j] && reach[j][i]))
            .collect()
    };
    let largest = (0..n)
        .map(cycle_of)
        .max_by_key(Vec::len)
        .unwrap_or_default();
    let imports: usize = graph.values().map(BTreeSet::len).sum();
    let in_cycles = graph
        .iter()
        .flat_map(|(from, tos)| tos.iter().map(move |to| (index(from), index(to))))
        .filter(|&(a, b)| reach[b][a])
        .count();
    let members: Vec<&str> = largest.iter().map(|&i| names[i].as_str()).collect();
    println!("top-level modules: {n}");
    println!("imports between them: {imports}");
    println!(
        "largest cycle: {} modules: {}",
        members.len(),
        members.join(", ")
    );
    println!("imports inside a cycle: {in_cycles}");
    let mut handlers = Vec::new();
    sources(&src.join("handler"), &mut handlers);
    let reaching: Vec<String> = handlers
        .iter()
        .filter(|f| {
            let code = code(f);
            ["crate::dispatch", "crate::init", "log::logger()"]
                .iter()
                .any(|p| code.contains(p))
        })
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    println!("handler files that reach the dispatcher, init or the global logger: {reaching:?}");
    assert!(
        reaching.is_empty(),
        "a handler asks the core through its Handle only"
    );
}
