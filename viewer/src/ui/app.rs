//! The application: opening traces (command line, File → Open, drag-and-drop, recent files),
//! the window's layout, and applying the commands the panels return.
//!
//! Layout: menu and toolbar on top (search, filters, state legend that doubles as the
//! highlight control); findings and the selection's details on the right; plots and tables at
//! the bottom; the timeline in the centre. Errors are shown in the window — a file that cannot
//! be read says why, a damaged one says what was lost — never a crash.
//!
//! Two traces (`weft view A B`, File → Compare with…) open the [compare view](super::compare)
//! instead: both timelines stacked in the centre, the difference panel on the side and at the
//! bottom.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use eframe::egui::{self, Color32, Pos2, RichText, Ui};
use weft_recorder::format::Trace;

use crate::diff::Run;
use crate::model::{ObjectIx, TaskIx};

use super::compare::{self, Compare};
use super::document::Document;
use super::lanes::{LaneFilter, LaneKey};
use super::loader::{self, LoadError, LoadProblem, Loading};
use super::recent::RecentFiles;
use super::tables::{self, TableState};
use super::time::TimeWindow;
use super::timeline::{self, Geometry};
use super::view::{whole, Command, Selection};
use super::{details, findings, palette, plots};

/// The tabs of the bottom panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BottomTab {
    /// Tasks by state over time.
    LiveTasks,
    /// Histogram of blocked durations.
    BlockedDurations,
    /// Queue depth of a channel.
    QueueDepth,
    /// Blocking profile by reason and site.
    BlockingProfile,
    /// Every task with its time by state.
    Tasks,
}

impl BottomTab {
    const ALL: [BottomTab; 5] = [
        BottomTab::LiveTasks,
        BottomTab::BlockedDurations,
        BottomTab::QueueDepth,
        BottomTab::BlockingProfile,
        BottomTab::Tasks,
    ];

    fn title(self) -> &'static str {
        match self {
            BottomTab::LiveTasks => "Live tasks",
            BottomTab::BlockedDurations => "Blocked durations",
            BottomTab::QueueDepth => "Queue depth",
            BottomTab::BlockingProfile => "Blocking profile",
            BottomTab::Tasks => "Tasks",
        }
    }
}

/// What a file picked in a dialog (or typed as a path) is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FilePurpose {
    /// Open it, alone.
    Open,
    /// Compare the open trace (A) with it (B).
    CompareWith,
}

/// One side of a comparison whose traces are still loading.
enum PendingRun {
    Loading(PathBuf),
    Ready(Box<Document>),
}

/// A comparison waiting for its traces.
struct PendingCompare {
    a: PendingRun,
    b: PendingRun,
}

impl PendingCompare {
    /// The side still loading `path`.
    fn waiting_for(&mut self, path: &Path) -> Option<&mut PendingRun> {
        [&mut self.a, &mut self.b]
            .into_iter()
            .find(|side| matches!(side, PendingRun::Loading(p) if p == path))
    }
}

/// The Weft viewer. Build it with [`App::open`] or [`App::from_trace`] (tests do), or let
/// [`run`](super::run) build it for a window.
pub struct App {
    documents: Vec<Document>,
    compare: Option<Compare>,
    pending_compare: Option<PendingCompare>,
    loading: Vec<Loading>,
    problems: Vec<LoadProblem>,
    notice: Option<String>,
    recent: RecentFiles,
    bottom_tab: BottomTab,
    show_bottom: bool,
    show_side: bool,
    show_help: bool,
    open_path: Option<(FilePurpose, String)>,
    file_dialog: Option<(FilePurpose, mpsc::Receiver<Option<PathBuf>>)>,
    queue_channel: Option<ObjectIx>,
    tables: TableState,
    geometry: Geometry,
    title: String,
    finding_cursor: Option<usize>,
}

impl Default for App {
    fn default() -> Self {
        App {
            documents: Vec::new(),
            compare: None,
            pending_compare: None,
            loading: Vec::new(),
            problems: Vec::new(),
            notice: None,
            recent: RecentFiles::default(),
            bottom_tab: BottomTab::LiveTasks,
            show_bottom: true,
            show_side: true,
            show_help: false,
            open_path: None,
            file_dialog: None,
            queue_channel: None,
            tables: TableState::default(),
            geometry: Geometry::default(),
            title: String::new(),
            finding_cursor: None,
        }
    }
}

impl App {
    /// An app with no trace open, remembering the recent files saved in `storage`.
    pub fn new(storage: Option<&dyn eframe::Storage>) -> Self {
        App {
            recent: RecentFiles::load(storage),
            ..App::default()
        }
    }

    /// An app showing a trace decoded in memory (e.g. by `weft_recorder::testing::record`).
    pub fn from_trace(trace: &Trace) -> Self {
        let mut app = App::default();
        app.documents.push(loader::document_from_trace(trace, None));
        app
    }

    /// An app showing the demo trace built into the viewer.
    pub fn demo() -> Self {
        let mut app = App::default();
        app.open_demo();
        app
    }

    /// Shows the demo trace built into the viewer.
    pub fn open_demo(&mut self) {
        match weft_recorder::format::read_bytes(super::DEMO_TRACE) {
            Ok(trace) => {
                let mut doc = loader::document_from_trace(&trace, None);
                doc.title = format!("{} (demo)", super::DEMO_TRACE_NAME);
                self.add_document(doc);
            }
            Err(e) => self.problems.push(LoadProblem {
                path: PathBuf::from(super::DEMO_TRACE_NAME),
                message: e.to_string(),
            }),
        }
    }

    /// An app showing the trace at `path`, loaded on this thread. A file that cannot be read
    /// gives an app that shows the error, as the window would.
    pub fn open(path: impl AsRef<Path>) -> Self {
        let mut app = App::default();
        app.open_blocking(path.as_ref());
        app
    }

    /// Loads `path` on this thread and shows it (or the error).
    pub fn open_blocking(&mut self, path: &Path) {
        match loader::load_blocking(path) {
            Ok(doc) => self.add_document(doc),
            Err(e) => self.problems.push(LoadProblem {
                path: path.to_owned(),
                message: e.to_string(),
            }),
        }
    }

    /// An app comparing the traces at `a` and `b`, loaded on this thread. A file that cannot be
    /// read gives an app that shows the error (and the other trace, alone).
    pub fn compare_files(a: impl AsRef<Path>, b: impl AsRef<Path>) -> Self {
        let mut app = App::default();
        let load = |path: &Path| {
            loader::load_blocking(path).map_err(|e| LoadProblem {
                path: path.to_owned(),
                message: e.to_string(),
            })
        };
        match (load(a.as_ref()), load(b.as_ref())) {
            (Ok(a), Ok(b)) => app.start_compare(a, b),
            (a, b) => {
                for side in [a, b] {
                    match side {
                        Ok(doc) => app.add_document(doc),
                        Err(problem) => app.problems.push(problem),
                    }
                }
            }
        }
        app
    }

    /// An app comparing two traces decoded in memory.
    pub fn compare_traces(a: &Trace, b: &Trace) -> Self {
        let mut app = App::default();
        app.start_compare(
            loader::document_from_trace(a, None),
            loader::document_from_trace(b, None),
        );
        app
    }

    /// Starts loading `a` and `b` in the background to compare them.
    pub fn compare_in_background(&mut self, a: PathBuf, b: PathBuf, ctx: &egui::Context) {
        self.pending_compare = Some(PendingCompare {
            a: PendingRun::Loading(a.clone()),
            b: PendingRun::Loading(b.clone()),
        });
        self.open_in_background(a, ctx);
        self.open_in_background(b, ctx);
    }

    /// Compares the trace on screen (as A) with `b`, loaded in the background; with no trace
    /// on screen, `b` is simply opened.
    fn compare_with(&mut self, b: PathBuf, ctx: &egui::Context) {
        if self.documents.is_empty() {
            if let Some(compare) = self.compare.take() {
                // Comparing again while comparing: the current A against the new B.
                let (a, _) = compare.into_documents();
                self.documents.push(a);
            }
        }
        if self.documents.is_empty() {
            self.open_in_background(b, ctx);
            return;
        }
        let a = self.documents.remove(0);
        self.documents.clear();
        self.pending_compare = Some(PendingCompare {
            a: PendingRun::Ready(Box::new(a)),
            b: PendingRun::Loading(b.clone()),
        });
        self.open_in_background(b, ctx);
    }

    fn start_compare(&mut self, a: Document, b: Document) {
        for doc in [&a, &b] {
            if let Some(path) = &doc.path {
                self.recent.touch(path);
                self.problems.retain(|p| &p.path != path);
            }
        }
        self.documents.clear();
        self.pending_compare = None;
        self.compare = Some(Compare::new(a, b));
        self.finding_cursor = None;
    }

    /// The comparison on screen, if two traces are open.
    pub fn compare(&self) -> Option<&Compare> {
        self.compare.as_ref()
    }

    /// The comparison on screen, mutably.
    pub fn compare_mut(&mut self) -> Option<&mut Compare> {
        self.compare.as_mut()
    }

    /// Where instant `ts` of `lane` of run `run` was drawn in the last frame.
    pub fn compare_lane_point(&self, run: Run, lane: LaneKey, ts: u64) -> Option<Pos2> {
        let compare = self.compare.as_ref()?;
        timeline::lane_point(compare.doc(run), compare.geometry(run), lane, ts)
    }

    /// Starts loading `path` in the background; the window shows progress meanwhile.
    pub fn open_in_background(&mut self, path: PathBuf, ctx: &egui::Context) {
        let ctx = ctx.clone();
        self.loading
            .push(Loading::start(path, move || ctx.request_repaint()));
    }

    fn add_document(&mut self, doc: Document) {
        if let Some(path) = &doc.path {
            self.recent.touch(path);
        }
        self.problems.retain(|p| Some(&p.path) != doc.path.as_ref());
        // One trace at a time, or a comparison of two (`compare`).
        self.compare = None;
        self.documents.clear();
        self.documents.push(doc);
        self.finding_cursor = None;
    }

    /// The trace on screen.
    pub fn document(&self) -> Option<&Document> {
        self.documents.first()
    }

    /// The trace on screen, mutably (tests use it to set up a view).
    pub fn document_mut(&mut self) -> Option<&mut Document> {
        self.documents.first_mut()
    }

    /// Files that could not be opened, with why.
    pub fn problems(&self) -> &[LoadProblem] {
        &self.problems
    }

    /// The selection in the trace on screen.
    pub fn selection(&self) -> Option<Selection> {
        self.document().and_then(|d| d.view.selection)
    }

    /// The recent-files list.
    pub fn recent_files(&self) -> &RecentFiles {
        &self.recent
    }

    /// Where instant `ts` of `lane` was drawn in the last frame (for tests that click on a
    /// span, and for anything that points at a lane).
    pub fn lane_point(&self, lane: LaneKey, ts: u64) -> Option<Pos2> {
        let doc = self.document()?;
        timeline::lane_point(doc, &self.geometry, lane, ts)
    }

    /// Where the timeline was drawn in the last frame.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Applies a command as if a panel had sent it.
    pub fn apply(&mut self, command: Command) {
        let Some(doc) = self.documents.first_mut() else {
            return;
        };
        apply(doc, command);
    }

    /// Draws the whole app into `ui` (the root of the window, or a test harness).
    pub fn show(&mut self, ui: &mut Ui) {
        self.receive(ui.ctx());
        if self.compare.is_some() {
            self.show_compare(ui);
            self.windows(ui.ctx());
            return;
        }
        let mut commands = Vec::new();
        self.next_finding_key(ui, &mut commands);

        egui::Panel::top("menu and toolbar").show(ui, |ui| {
            self.menu_bar(ui);
            if let Some(doc) = self.documents.first_mut() {
                toolbar(ui, doc, &mut commands);
            }
        });

        if let Some(doc) = self.documents.first() {
            if self.show_side {
                egui::Panel::right("side panel")
                    .default_size(380.0)
                    .min_size(260.0)
                    .show(ui, |ui| side_panel(ui, doc, &mut commands));
            }
            if self.show_bottom {
                egui::Panel::bottom("plots and tables")
                    .resizable(true)
                    .default_size(250.0)
                    .min_size(120.0)
                    .show(ui, |ui| {
                        self.bottom_panel(ui, &mut commands);
                    });
            }
        }

        egui::CentralPanel::default().show(ui, |ui| {
            self.banners(ui);
            if let Some(doc) = self.documents.first_mut() {
                loss_banner(ui, doc);
                self.geometry = timeline::show(ui, doc, &mut commands);
            } else if self.loading.is_empty() {
                self.welcome(ui);
            }
        });

        self.windows(ui.ctx());

        if let Some(doc) = self.documents.first_mut() {
            for command in commands {
                apply(doc, command);
            }
        }
    }

    /// The windows over the layout, drops and the title.
    fn windows(&mut self, ctx: &egui::Context) {
        self.help_window(ctx);
        self.open_path_window(ctx);
        self.drag_and_drop(ctx);
        self.update_title(ctx);
    }

    /// Two runs: menu and compare toolbar on top, the difference panel on the right and at the
    /// bottom, both timelines in the centre.
    fn show_compare(&mut self, ui: &mut Ui) {
        egui::Panel::top("menu and toolbar").show(ui, |ui| {
            self.menu_bar(ui);
            if let Some(compare) = self.compare.as_mut() {
                compare::view::toolbar(ui, compare);
            }
        });
        // The menu may have closed the comparison.
        let Some(mut compare) = self.compare.take() else {
            return;
        };
        if self.show_side {
            egui::Panel::right("difference side panel")
                .default_size(360.0)
                .min_size(260.0)
                .show(ui, |ui| compare::panel::side(ui, &mut compare));
        }
        if self.show_bottom {
            egui::Panel::bottom("difference tables")
                .resizable(true)
                .default_size(250.0)
                .min_size(120.0)
                .show(ui, |ui| compare::panel::bottom(ui, &mut compare));
        }
        egui::CentralPanel::default().show(ui, |ui| {
            self.banners(ui);
            compare::view::show(ui, &mut compare);
        });
        if self.compare.is_none() && self.documents.is_empty() {
            self.compare = Some(compare);
        }
    }

    /// N jumps to the next finding, Shift+N to the previous one.
    fn next_finding_key(&mut self, ui: &Ui, commands: &mut Vec<Command>) {
        let Some(doc) = self.documents.first() else {
            return;
        };
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let (pressed, backwards) = ui.input(|i| (i.key_pressed(egui::Key::N), i.modifiers.shift));
        if !pressed {
            return;
        }
        let jumps: Vec<&Command> = doc
            .findings
            .iter()
            .filter_map(|f| f.jump.as_ref())
            .collect();
        if jumps.is_empty() {
            return;
        }
        let next = match (self.finding_cursor, backwards) {
            (None, false) => 0,
            (None, true) => jumps.len() - 1,
            (Some(i), false) => (i + 1) % jumps.len(),
            (Some(i), true) => (i + jumps.len() - 1) % jumps.len(),
        };
        self.finding_cursor = Some(next);
        commands.push(jumps[next].clone());
    }

    /// Takes finished loads and file-dialog answers.
    fn receive(&mut self, ctx: &egui::Context) {
        let mut finished = Vec::new();
        self.loading.retain(|loading| match loading.poll() {
            Some(result) => {
                finished.push((loading.path.clone(), result));
                false
            }
            None => true,
        });
        for (path, result) in finished {
            let result = match self.pending_compare.as_mut() {
                Some(pending) => match (pending.waiting_for(&path), result) {
                    (Some(side), Ok(doc)) => {
                        *side = PendingRun::Ready(Box::new(doc));
                        continue;
                    }
                    (Some(_), Err(e)) => {
                        // The comparison cannot happen: show the other run alone, if it is
                        // ready, and why this one is missing.
                        if let Some(pending) = self.pending_compare.take() {
                            for side in [pending.a, pending.b] {
                                if let PendingRun::Ready(doc) = side {
                                    self.add_document(*doc);
                                }
                            }
                        }
                        Err(e)
                    }
                    (None, result) => result,
                },
                None => result,
            };
            match result {
                Ok(doc) => self.add_document(doc),
                Err(LoadError::Cancelled) => {
                    self.notice = Some(format!("Opening {} was cancelled.", path.display()));
                }
                Err(e) => {
                    if !path.exists() {
                        self.recent.forget(&path);
                    }
                    self.problems.retain(|p| p.path != path);
                    self.problems.push(LoadProblem {
                        path,
                        message: e.to_string(),
                    });
                }
            }
        }
        if let Some(PendingCompare {
            a: PendingRun::Ready(_),
            b: PendingRun::Ready(_),
        }) = &self.pending_compare
        {
            if let Some(PendingCompare {
                a: PendingRun::Ready(a),
                b: PendingRun::Ready(b),
            }) = self.pending_compare.take()
            {
                self.start_compare(*a, *b);
            }
        }
        if let Some((purpose, rx)) = &self.file_dialog {
            let purpose = *purpose;
            match rx.try_recv() {
                Ok(Some(path)) => {
                    self.file_dialog = None;
                    self.open_for(purpose, path, ctx);
                }
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                    self.file_dialog = None;
                    self.notice = Some(
                        "No file was chosen. If no dialog appeared (no desktop portal), use \
                         File > Open path… or drop a trace file onto the window."
                            .to_owned(),
                    );
                }
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        if !self.loading.is_empty() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
    }

    fn menu_bar(&mut self, ui: &mut Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open…").clicked() {
                    self.pick_file(FilePurpose::Open, ui.ctx());
                    ui.close();
                }
                if ui.button("Open path…").clicked() {
                    self.open_path = Some((FilePurpose::Open, String::new()));
                    ui.close();
                }
                let comparable = !self.documents.is_empty() || self.compare.is_some();
                if ui
                    .add_enabled(comparable, egui::Button::new("Compare with…"))
                    .on_hover_text("Pick a second trace and compare the open one (A) with it (B)")
                    .clicked()
                {
                    self.pick_file(FilePurpose::CompareWith, ui.ctx());
                    ui.close();
                }
                if ui
                    .add_enabled(comparable, egui::Button::new("Compare with path…"))
                    .clicked()
                {
                    self.open_path = Some((FilePurpose::CompareWith, String::new()));
                    ui.close();
                }
                if self.compare.is_some() && ui.button("Stop comparing (keep A)").clicked() {
                    if let Some(compare) = self.compare.take() {
                        let (a, _) = compare.into_documents();
                        self.add_document(a);
                    }
                    ui.close();
                }
                ui.menu_button("Open recent", |ui| {
                    if self.recent.paths().is_empty() {
                        ui.weak("No recent files");
                    }
                    let mut chosen = None;
                    for path in self.recent.paths() {
                        if ui.button(path.display().to_string()).clicked() {
                            chosen = Some(path.clone());
                            ui.close();
                        }
                    }
                    if let Some(path) = chosen {
                        self.open_in_background(path, ui.ctx());
                    }
                });
                ui.separator();
                if ui
                    .add_enabled(comparable, egui::Button::new("Close trace"))
                    .clicked()
                {
                    self.documents.clear();
                    self.compare = None;
                    ui.close();
                }
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("View", |ui| {
                if let Some(doc) = self.documents.first_mut() {
                    if ui.button("Zoom to whole trace (0)").clicked() {
                        apply(doc, Command::ZoomAll);
                        ui.close();
                    }
                    if ui.button("Zoom to selection (F)").clicked() {
                        if let Some((start, end)) = timeline::selection_range(doc) {
                            apply(doc, Command::ZoomTo { start, end });
                        }
                        ui.close();
                    }
                    ui.checkbox(&mut doc.view.all_arrows, "Arrows for everything in view");
                    ui.separator();
                }
                if let Some(compare) = self.compare.as_mut() {
                    if ui.button("Both runs whole (0)").clicked() {
                        compare.zoom_all();
                        ui.close();
                    }
                    ui.separator();
                }
                ui.checkbox(&mut self.show_side, "Findings and details panel");
                ui.checkbox(&mut self.show_bottom, "Plots and tables panel");
            });
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard and mouse").clicked() {
                    self.show_help = true;
                    ui.close();
                }
            });
            if !self.title.is_empty() {
                ui.separator();
                ui.label(RichText::new(&self.title).strong());
            }
        });
    }

    /// Opens `path` alone, or compares the open trace with it.
    fn open_for(&mut self, purpose: FilePurpose, path: PathBuf, ctx: &egui::Context) {
        match purpose {
            FilePurpose::Open => self.open_in_background(path, ctx),
            FilePurpose::CompareWith => self.compare_with(path, ctx),
        }
    }

    fn pick_file(&mut self, purpose: FilePurpose, ctx: &egui::Context) {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let title = match purpose {
            FilePurpose::Open => "Open a Weft trace",
            FilePurpose::CompareWith => "Compare with a Weft trace (run B)",
        };
        let spawned = std::thread::Builder::new()
            .name("weft-file-dialog".into())
            .spawn(move || {
                let picked = rfd::FileDialog::new()
                    .set_title(title)
                    .add_filter("Weft trace", &["weft"])
                    .add_filter("All files", &["*"])
                    .pick_file();
                let _ = tx.send(picked);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.file_dialog = Some((purpose, rx)),
            Err(e) => self.notice = Some(format!("Could not open a file dialog: {e}")),
        }
    }

    fn bottom_panel(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let Some(doc) = self.documents.first() else {
            return;
        };
        ui.horizontal(|ui| {
            for tab in BottomTab::ALL {
                if ui
                    .selectable_label(self.bottom_tab == tab, tab.title())
                    .clicked()
                {
                    self.bottom_tab = tab;
                }
            }
        });
        ui.separator();
        match self.bottom_tab {
            BottomTab::LiveTasks => plots::live_tasks(ui, doc),
            BottomTab::BlockedDurations => plots::blocked_histogram(ui, &doc.blocked_histogram),
            BottomTab::QueueDepth => plots::queue_depth(ui, doc, &mut self.queue_channel, commands),
            BottomTab::BlockingProfile => {
                tables::blocking_profile(ui, doc, &mut self.tables, commands)
            }
            BottomTab::Tasks => tables::tasks(ui, doc, &mut self.tables, commands),
        }
    }

    fn banners(&mut self, ui: &mut Ui) {
        for loading in &self.loading {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!(
                    "Opening {}: {} …",
                    loading.path.display(),
                    loading.step()
                ));
                ui.add(
                    egui::ProgressBar::new(loading.fraction())
                        .desired_width(240.0)
                        .show_percentage(),
                );
                if loading.is_cancelled() {
                    ui.label("cancelling…");
                } else if ui.button("Cancel").clicked() {
                    loading.cancel();
                }
            });
        }
        let mut dismissed = None;
        for (i, problem) in self.problems.iter().enumerate() {
            egui::Frame::new()
                .fill(Color32::from_rgb(90, 24, 30))
                .inner_margin(8.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(
                            RichText::new(format!("Could not open {}", problem.path.display()))
                                .strong()
                                .color(Color32::WHITE),
                        );
                        if ui.small_button("Dismiss").clicked() {
                            dismissed = Some(i);
                        }
                    });
                    ui.label(
                        RichText::new(&problem.message).color(Color32::from_rgb(255, 210, 210)),
                    );
                });
        }
        if let Some(i) = dismissed {
            self.problems.remove(i);
        }
        if let Some(notice) = &self.notice {
            let mut close = false;
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(notice).color(Color32::from_rgb(230, 200, 120)));
                close = ui.small_button("OK").clicked();
            });
            if close {
                self.notice = None;
            }
        }
    }

    fn welcome(&mut self, ui: &mut Ui) {
        ui.add_space(40.0);
        ui.vertical_centered(|ui| {
            ui.heading("Weft — a visual concurrency tracer for Rust");
            ui.add_space(8.0);
            ui.label(
                "Open a trace recorded with `weft record -- your-program` or WEFT_TRACE=out.weft.",
            );
            ui.label("Drop a .weft file onto this window, or:");
            ui.add_space(8.0);
            if ui.button("Open a trace…").clicked() {
                self.pick_file(FilePurpose::Open, ui.ctx());
            }
            if ui.button("Open a path…").clicked() {
                self.open_path = Some((FilePurpose::Open, String::new()));
            }
            if ui.button("Show the demo trace").clicked() {
                self.open_demo();
            }
            if !self.recent.paths().is_empty() {
                ui.add_space(16.0);
                ui.label(RichText::new("Recent files").strong());
                let mut chosen = None;
                for path in self.recent.paths() {
                    if ui.link(path.display().to_string()).clicked() {
                        chosen = Some(path.clone());
                    }
                }
                if let Some(path) = chosen {
                    self.open_in_background(path, ui.ctx());
                }
            }
        });
    }

    fn help_window(&mut self, ctx: &egui::Context) {
        let mut open = self.show_help;
        egui::Window::new("Keyboard and mouse")
            .open(&mut open)
            .resizable(false)
            .collapsible(false)
            .show(ctx, |ui| {
                egui::Grid::new("help keys").num_columns(2).show(ui, |ui| {
                    for (key, what) in [
                        ("Mouse wheel", "zoom at the cursor"),
                        ("Drag", "pan in time and scroll lanes"),
                        ("Shift + drag", "measure a duration"),
                        ("Click", "select a span, lane or object"),
                        ("Double-click", "zoom to the span"),
                        ("W / S", "zoom in / out"),
                        ("A / D", "pan left / right"),
                        ("F", "zoom to the selection"),
                        ("N / Shift + N", "next / previous finding"),
                        ("L", "arrows for everything in view, on or off"),
                        ("0 or Home", "show the whole trace"),
                        ("Esc", "clear the measurement, then the selection"),
                        ("Wheel over labels", "scroll lanes"),
                        ("Comparing two runs", "zoom or pan either run: both follow"),
                    ] {
                        ui.label(RichText::new(key).monospace());
                        ui.label(what);
                        ui.end_row();
                    }
                });
            });
        self.show_help = open;
    }

    fn open_path_window(&mut self, ctx: &egui::Context) {
        let Some((purpose, text)) = self.open_path.as_mut() else {
            return;
        };
        let purpose = *purpose;
        let mut open = true;
        let mut submit = false;
        let title = match purpose {
            FilePurpose::Open => "Open path",
            FilePurpose::CompareWith => "Compare with path (run B)",
        };
        egui::Window::new(title)
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                let label = ui.label("Trace file:");
                let edit = ui.add(
                    egui::TextEdit::singleline(text)
                        .hint_text("/path/to/trace.weft")
                        .desired_width(360.0),
                );
                let edit = edit.labelled_by(label.id);
                submit = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                submit |= ui.button("Open").clicked();
            });
        if submit && !text.trim().is_empty() {
            let path = PathBuf::from(text.trim());
            self.open_path = None;
            self.open_for(purpose, path, ctx);
        } else if !open {
            self.open_path = None;
        }
    }

    fn drag_and_drop(&mut self, ctx: &egui::Context) {
        let (hovering, dropped): (bool, Vec<PathBuf>) = ctx.input(|i| {
            (
                !i.raw.hovered_files.is_empty(),
                i.raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_owned())
                    .collect(),
            )
        });
        if hovering {
            let painter = ctx.layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("drop overlay"),
            ));
            let rect = ctx.content_rect();
            painter.rect_filled(rect, 0.0, Color32::from_black_alpha(180));
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Drop a trace file to open it",
                egui::FontId::proportional(24.0),
                Color32::WHITE,
            );
        }
        if let Some(path) = dropped.into_iter().next() {
            self.open_in_background(path, ctx);
        }
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let title = match (self.documents.first(), &self.compare) {
            (Some(doc), _) => doc.title.clone(),
            (None, Some(compare)) => format!(
                "{} vs {}",
                compare.doc(Run::A).title,
                compare.doc(Run::B).title
            ),
            (None, None) => String::new(),
        };
        if title != self.title {
            let window_title = if title.is_empty() {
                "Weft".to_owned()
            } else {
                format!("{title} — Weft")
            };
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(window_title));
            self.title = title;
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.recent.save(storage);
    }
}

/// Search, filters and the state legend (which also sets the highlight).
fn toolbar(ui: &mut Ui, doc: &mut Document, out: &mut Vec<Command>) {
    let mut filter = doc.view.filter.clone();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Search:");
        ui.add(
            egui::TextEdit::singleline(&mut filter.search)
                .hint_text("task name, object or site")
                .desired_width(220.0),
        )
        .labelled_by(label.id);
        ui.toggle_value(&mut filter.only_blocked, "Only blocked")
            .on_hover_text("Only tasks that were ever blocked");
        ui.toggle_value(&mut filter.only_leaked, "Only leaked")
            .on_hover_text("Only tasks stuck forever at the end of the trace");
        let sites: Vec<u32> = doc
            .catalog
            .task_groups
            .iter()
            .filter(|g| g.site.is_known())
            .map(|g| g.site.0)
            .collect();
        let selected = match filter.spawn_site {
            Some(s) => describe_site(doc, s),
            None => "any".to_owned(),
        };
        egui::ComboBox::from_label("Spawn site")
            .selected_text(selected)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut filter.spawn_site, None, "any");
                for site in sites {
                    ui.selectable_value(
                        &mut filter.spawn_site,
                        Some(site),
                        describe_site(doc, site),
                    );
                }
            });
        if !filter.is_empty() && ui.button("Clear filters").clicked() {
            filter = LaneFilter::default();
        }
        ui.separator();
        ui.toggle_value(&mut doc.view.all_arrows, "All arrows")
            .on_hover_text(
                "Draw the causal links of everything in view, not only of the selection (L)",
            );
        if ui
            .button("Whole trace")
            .on_hover_text("Zoom out to the whole trace (0)")
            .clicked()
        {
            out.push(Command::ZoomAll);
        }
    });
    palette::legend(ui, &mut doc.view.highlight, &doc.states_present);
    if filter != doc.view.filter {
        out.push(Command::SetFilter(filter));
    }
}

fn describe_site(doc: &Document, site: u32) -> String {
    super::describe::site(&doc.model, crate::model::SiteIx(site))
}

/// What the trace is missing, said plainly above the timeline.
fn loss_banner(ui: &mut Ui, doc: &Document) {
    let loss = doc.model.loss();
    let notes = doc.model.notes();
    if loss.is_complete() && notes.is_empty() {
        return;
    }
    egui::Frame::new()
        .fill(Color32::from_rgb(80, 64, 20))
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.label(
                RichText::new("This trace is incomplete; showing what could be read.")
                    .strong()
                    .color(Color32::from_rgb(255, 225, 150)),
            );
            if !loss.clean_end && loss.notes.is_empty() {
                ui.label("The recorder did not finish cleanly (the program may have crashed or been killed).");
            }
            for note in loss.notes.iter().chain(notes) {
                ui.label(RichText::new(note).color(Color32::from_rgb(255, 235, 190)));
            }
        });
}

/// Findings on top, the selection's details below.
fn side_panel(ui: &mut Ui, doc: &Document, out: &mut Vec<Command>) {
    egui::ScrollArea::vertical()
        .id_salt("side panel")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::CollapsingHeader::new(RichText::new("Findings").strong())
                .default_open(true)
                .show(ui, |ui| findings::show(ui, doc, out));
            ui.separator();
            egui::CollapsingHeader::new(RichText::new("Details").strong())
                .default_open(true)
                .show(ui, |ui| details::show(ui, doc, out));
        });
}

/// Applies one command to a document.
pub fn apply(doc: &mut Document, command: Command) {
    match command {
        Command::Select(selection) => {
            doc.view.selection = Some(selection);
            reveal(doc, selection.lane());
            if let Some((start, end)) = timeline::selection_range(doc) {
                bring_into_view(&mut doc.view.window, start, end);
            }
        }
        Command::ClearSelection => doc.view.selection = None,
        Command::FocusTaskAt { task, ts } => {
            let selection = match doc.model.timeline(task).index_at(ts) {
                Some(index) => Selection::Span { task, index },
                None => Selection::Task(task),
            };
            doc.view.selection = Some(selection);
            reveal(doc, LaneKey::Task(task));
            bring_into_view(&mut doc.view.window, ts, ts);
        }
        Command::ZoomTo { start, end } => {
            doc.view.window = TimeWindow::around(start as f64, end as f64);
        }
        Command::ZoomAll => {
            doc.view.window = whole(doc.model.start_ns(), doc.model.end_ns());
        }
        Command::SetFilter(filter) => {
            doc.view.filter = filter;
            doc.invalidate_layout();
        }
        Command::Highlight(state) => doc.view.highlight = state,
        Command::ToggleGroup(key) => {
            if !doc.view.collapsed.remove(&key) {
                doc.view.collapsed.insert(key);
            }
            doc.invalidate_layout();
        }
    }
}

fn reveal(doc: &mut Document, lane: LaneKey) {
    doc.expand_to(lane);
    if let LaneKey::Task(t) = lane {
        clear_filters_hiding(doc, t);
    }
    doc.layout();
    doc.view.scroll_to = Some(lane);
}

/// A jump to a task the filters hide clears those filters, so the jump lands somewhere visible.
fn clear_filters_hiding(doc: &mut Document, t: TaskIx) {
    if doc.current_layout().find(LaneKey::Task(t)).is_none() && !doc.view.filter.is_empty() {
        doc.view.filter = LaneFilter::default();
        doc.invalidate_layout();
    }
}

/// Pans (keeping the zoom) so that `[start, end]` is on screen; if it is wider than the window,
/// its start is brought in.
fn bring_into_view(window: &mut TimeWindow, start: u64, end: u64) {
    let (start, end) = (start as f64, end as f64);
    if window.overlaps(start, end.max(start + 1.0)) {
        return;
    }
    let centre = if end - start < window.duration() {
        (start + end) / 2.0
    } else {
        start + window.duration() / 3.0
    };
    let half = window.duration() / 2.0;
    *window = TimeWindow::new(centre - half, centre + half);
}
