//! Two independent computations on two cores: the model's finish, the analysis and a document's
//! drawing tables each split their work this way, since loading a trace is otherwise one thread
//! on a machine that has at least two.

/// Runs `side` on a thread of its own (named `name`) while this one runs `here`, and returns
/// both results. Without a thread to be had, this one runs both. A panic in `side` resumes here.
pub(crate) fn join<A, B: Send>(
    name: &str,
    side: impl Fn() -> B + Sync,
    here: impl FnOnce() -> A,
) -> (A, B) {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn_scoped(scope, &side);
        let a = here();
        let b = match spawned {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => side(),
        };
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn both_results_come_back_and_a_side_panic_resumes_here() {
        let data = [1u64, 2, 3];
        let (sum, max) = join(
            "test-side",
            || data.iter().max().copied(),
            || data.iter().sum::<u64>(),
        );
        assert_eq!((sum, max), (6, Some(3)));
        let caught = std::panic::catch_unwind(|| join("test-side", || panic!("side"), || 1));
        assert!(caught.is_err());
    }
}
