//! The import structure of `ko-log/src`, measured from its `crate::` paths, the figures
//! docs/ARCHITECTURE.md quotes: `cargo test --locked -p ko-log --test imports -- --nocapture`.
//!
//! A node is a top-level module of the crate (a file or folder of `ko-log/src`), and
//! `lib`, the crate root: its `pub use` lines import what they re-export, and a module
//! naming a root re-export (`crate::Event`) imports `lib`. An edge is "some file of A
//! names B" (macros and `crate::config` count as none). Unit-test modules
//! (`#[cfg(test)] mod tests`) and comments are left out.
//!
//! Printed: the modules, the imports between them, the largest set of modules that import
//! each other in one cycle, the imports inside cycles, the floors (each module one floor
//! above the highest it imports; inside a cycle, lowest first the module importing the
//! fewest others) and the imports that run from a lower floor back up.
//! Asserted: what the boundary promises (no component reaches the dispatcher, no module
//! goes through the crate root, no cycle larger than 3, at most 12 imports running up).

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
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    // `pub use module::{Name, ..}` in lib.rs: the names of the crate root.
    let mut root = BTreeSet::new();
    for line in code(&src.join("lib.rs")).lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        if modules.contains(module) {
            let names = names.split(|c: char| !(c.is_alphanumeric() || c == '_'));
            root.extend(names.filter(|n| !modules.contains(*n)).map(str::to_owned));
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        let code = code(file);
        let edges = graph.entry(from.clone()).or_default();
        let mut named = crate_paths(&code);
        if from == "lib" {
            // `pub use module::..` and `pub use crate::module::..` import that module.
            let uses = code
                .lines()
                .filter_map(|l| l.trim().strip_prefix("pub use "));
            named.extend(uses.map(|rest| {
                let rest = rest.strip_prefix("crate::").unwrap_or(rest);
                rest.split("::").next().unwrap_or_default().to_owned()
            }));
        }
        for name in named {
            let to = match modules.contains(&name) {
                true => Some(name),
                false => root.contains(&name).then(|| "lib".to_owned()),
            };
            edges.extend(to.filter(|to| *to != from));
        }
    }
    graph
}

/// The modules of one cycle (indices into `graph`'s keys) ordered bottom to top, few of
/// their imports running up: lowest first, each time, the module that imports the fewest
/// of those not yet placed.
fn order_cycle(members: &[usize], imports: &[Vec<bool>]) -> Vec<usize> {
    let mut left = members.to_vec();
    let mut order = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let up = |&v: &usize| left.iter().filter(|&&w| imports[v][w]).count();
        let lowest = (0..left.len()).min_by_key(|&i| up(&left[i])).unwrap_or(0);
        order.push(left.remove(lowest));
    }
    order
}

#[test]
fn import_figures() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph(&src);
    let names: Vec<&String> = graph.keys().collect();
    let n = names.len();
    let index = |m: &str| names.iter().position(|x| *x == m).unwrap();
    let mut imports = vec![vec![false; n]; n];
    for (from, tos) in &graph {
        for to in tos {
            imports[index(from)][index(to)] = true;
        }
    }
    let mut reach = imports.clone();
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
    let count: usize = graph.values().map(BTreeSet::len).sum();
    let in_cycles = graph
        .iter()
        .flat_map(|(from, tos)| tos.iter().map(move |to| (index(from), index(to))))
        .filter(|&(a, b)| reach[b][a])
        .count();
    // Layers: inside each cycle the order of `order_cycle`; the imports it runs up set
    // aside, each module stands one floor above the highest it imports.
    let mut up = vec![vec![false; n]; n];
    let mut seen = BTreeSet::new();
    for i in 0..n {
        let cycle = cycle_of(i);
        if cycle.len() < 2 || !seen.insert(cycle.clone()) {
            continue;
        }
        let order = order_cycle(&cycle, &imports);
        for (low, &a) in order.iter().enumerate() {
            for &b in &order[low + 1..] {
                up[a][b] = imports[a][b];
            }
        }
    }
    let mut floor = vec![0usize; n];
    fn floor_of(i: usize, imports: &[Vec<bool>], up: &[Vec<bool>], floor: &mut [usize]) -> usize {
        if floor[i] == 0 {
            floor[i] = 1
                + (0..imports.len())
                    .filter(|&j| imports[i][j] && !up[i][j])
                    .map(|j| floor_of(j, imports, up, floor))
                    .max()
                    .unwrap_or(0);
        }
        floor[i]
    }
    for i in 0..n {
        floor_of(i, &imports, &up, &mut floor);
    }
    let running_up: Vec<String> = (0..n)
        .flat_map(|a| (0..n).map(move |b| (a, b)))
        .filter(|&(a, b)| up[a][b])
        .map(|(a, b)| format!("{} -> {}", names[a], names[b]))
        .collect();
    let members: Vec<&str> = largest.iter().map(|&i| names[i].as_str()).collect();
    println!("top-level modules: {n}");
    println!("imports between them: {count}");
    match members.len() {
        1 => println!("largest cycle: none"),
        len => println!("largest cycle: {len} modules: {}", members.join(", ")),
    }
    println!("imports inside a cycle: {in_cycles}");
    println!("floors: {}", floor.iter().max().unwrap_or(&0));
    for level in (1..=*floor.iter().max().unwrap_or(&0)).rev() {
        let on: Vec<&str> = (0..n)
            .filter(|&i| floor[i] == level)
            .map(|i| names[i].as_str())
            .collect();
        println!("  floor {level}: {}", on.join(", "));
    }
    println!(
        "imports that run back up: {}: {}",
        running_up.len(),
        running_up.join(", ")
    );
    let mut handlers = Vec::new();
    sources(&src.join("handler"), &mut handlers);
    let reaching: Vec<String> = handlers
        .iter()
        .filter(|f| {
            let code = code(f);
            [
                "crate::dispatch",
                "crate::install",
                "crate::caller",
                "log::logger()",
            ]
            .iter()
            .any(|p| code.contains(p))
        })
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    println!("handler files that reach the dispatcher, installation, the caller side or the global logger: {reaching:?}");
    assert!(
        reaching.is_empty(),
        "a handler asks the core through its Handle only"
    );
    let through_root: Vec<&String> = graph
        .iter()
        .filter(|(_, tos)| tos.contains("lib"))
        .map(|(from, _)| from)
        .collect();
    assert!(
        through_root.is_empty(),
        "the crate root's names are for users; inside the crate, name the module: {through_root:?}"
    );
    assert!(
        members.len() <= 3,
        "no import cycle among the top-level modules larger than 3: {members:?}"
    );
    assert!(
        running_up.len() <= 12,
        "at most 12 imports run from a lower floor back up: {running_up:?}"
    );
}
