//! What the `model` and `analysis` targets run over a decoded trace (feature `model`).

use weft_recorder::format::Trace;
use weft_viewer::analysis::Analysis;
use weft_viewer::model::{Model, ObjectIx, WorkerIx};

/// Inputs that trip viewer bugs already found, reported and kept in `fuzz/regressions/` (where
/// `cargo test --features model` replays them unfiltered): the `model` target skips them so it
/// can look for new bugs meanwhile. Delete each case once its fix lands.
pub fn trips_a_known_viewer_bug(trace: &Trace) -> bool {
    // fuzz/regressions/model_duration_of_a_trace_whose_first_event_lost_its_task.weft:
    // `Model::duration_ns` underflows when no event has a task (the model skips them all, so
    // its end stays 0) but the first event is later than 0.
    trace.events.iter().all(|e| e.task == 0) && trace.events.first().is_some_and(|e| e.ts > 0)
}

/// Builds the viewer's model and walks everything the viewer reads from it: every lane, span,
/// hold, link and name, and a lookup at both ends and the middle of the trace.
pub fn build_and_walk(trace: &Trace) -> Model {
    let model = Model::from_trace(trace);
    let (start, end) = (model.start_ns(), model.end_ns());
    let _ = model.duration_ns();
    let middle = start / 2 + end / 2;
    for t in model.task_ixs() {
        let _ = model.task_name(t);
        let _ = model.children(t);
        let _ = model.regions(t);
        let _ = model.marks(t);
        let lane = model.timeline(t);
        for span in lane.spans() {
            let _ = span.duration();
        }
        for ts in [start, middle, end] {
            let _ = lane.index_at(ts);
        }
        let _ = lane.visible(start, end);
        let _ = lane.visible(middle, middle);
    }
    for w in 0..model.workers().len() {
        let lane = model.worker_lane(WorkerIx(w as u32));
        let _ = lane.visible(start, end);
        let _ = lane.index_at(middle);
    }
    for o in model.object_ixs() {
        let _ = model.object_name(o);
        // Holds are assembled from the lock's operations: read every one.
        for hold in model.holds(o) {
            assert!(hold.end >= hold.start, "{hold:?}");
        }
        let _ = model.senders(o);
        let _ = model.receivers(o);
        let lane = model.object_events(o);
        let _ = lane.visible(start, end);
    }
    let _ = model.object_by_id(1).map(|o: ObjectIx| model.object(o));
    // Links are assembled from columns: read every one.
    let _ = model.links().map(|l| l.to_ts).max();
    let _ = model.root();
    model
}

/// The analysis and its report over a model.
pub fn analyse(model: &Model) {
    let analysis = Analysis::run(model);
    let _ = analysis.report(model);
}
