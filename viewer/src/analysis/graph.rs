//! Strongly connected components and cycles, for wait-for and lock-order graphs.
//!
//! Iterative (no recursion), so a graph of a million tasks cannot overflow the stack.

/// The strongly connected components of the graph `adj` (adjacency lists over `0..adj.len()`),
/// each as a list of nodes. Tarjan's algorithm.
pub(crate) fn strongly_connected(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = adj.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut next = 0;
    let mut calls: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, 0));
        while let Some(&mut (v, ref mut edge)) = calls.last_mut() {
            if let Some(&w) = adj[v].get(*edge) {
                *edge += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(u, _)) = calls.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// A cycle through `start` using only nodes for which `inside` is true: the nodes in order,
/// beginning with `start`. `None` when there is none.
pub(crate) fn cycle_through(
    adj: &[Vec<usize>],
    start: usize,
    inside: impl Fn(usize) -> bool,
) -> Option<Vec<usize>> {
    let mut visited = vec![false; adj.len()];
    let mut path = vec![start];
    let mut edges = vec![0usize];
    visited[start] = true;
    while let Some(&v) = path.last() {
        let Some(e) = edges.last_mut() else { break };
        let Some(&w) = adj[v].get(*e) else {
            path.pop();
            edges.pop();
            continue;
        };
        *e += 1;
        if w == start {
            return Some(path);
        }
        if inside(w) && !visited[w] {
            visited[w] = true;
            path.push(w);
            edges.push(0);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_and_cycles() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 3 -> 3, 4 alone.
        let adj = vec![vec![1], vec![2], vec![0, 3], vec![3], vec![]];
        let mut comps: Vec<Vec<usize>> = strongly_connected(&adj)
            .into_iter()
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        comps.sort();
        assert_eq!(comps, vec![vec![0, 1, 2], vec![3], vec![4]]);
        assert_eq!(cycle_through(&adj, 1, |_| true), Some(vec![1, 2, 0]));
        assert_eq!(cycle_through(&adj, 3, |_| true), Some(vec![3]));
        assert_eq!(cycle_through(&adj, 4, |_| true), None);
        assert_eq!(cycle_through(&adj, 0, |n| n != 2), None);
    }
}
