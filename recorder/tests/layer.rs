//! The tracing Layer: spans become regions, events become instants, on the current task.

use tracing_subscriber::layer::SubscriberExt;
use weft_recorder::event::EventKind;
use weft_recorder::testing;

#[test]
fn spans_and_events_are_recorded_with_labels_levels_and_sites() {
    let subscriber = tracing_subscriber::registry().with(weft_recorder::layer());
    let trace = tracing::subscriber::with_default(subscriber, || {
        testing::record(|| {
            let span = tracing::info_span!("load", file = "a.txt");
            let _entered = span.enter();
            tracing::warn!(bytes = 42, "slow read");
        })
    });
    let kinds: Vec<_> = trace
        .events
        .iter()
        .filter(|e| {
            !matches!(
                e.kind,
                EventKind::TaskStart { .. } | EventKind::TaskExit { .. }
            )
        })
        .map(|e| e.kind)
        .collect();
    let [EventKind::SpanEnter { span, name }, EventKind::Mark { message, level }, EventKind::SpanExit { span: exited }] =
        kinds[..]
    else {
        panic!("unexpected events {kinds:?}");
    };
    assert_eq!(span, exited);
    assert_eq!(trace.string(name), "load file=\"a.txt\"");
    assert_eq!(trace.string(message), "slow read bytes=42");
    assert_eq!(level, 3);
    let mark = trace
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Mark { .. }))
        .unwrap();
    let site = trace.site(mark.site).expect("the event's callsite");
    assert!(site.file.ends_with("layer.rs"), "{site}");
    // All on the one task that ran the closure.
    assert!(trace.events.windows(2).all(|w| w[0].task == w[1].task));
}
