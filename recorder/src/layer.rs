//! The `tracing` Layer: user annotations on the current task.
//!
//! A span becomes a region (`SpanEnter` … `SpanExit`) labelled with its name and fields; an event
//! becomes an instant (`Mark`) labelled with its message and fields. The call site is the
//! callsite's metadata, resolved by the writer, so the hot part is one interned label per span
//! and session plus the event push.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use crate::event::{EventKind, StrId};
use crate::record;

/// Records tracing spans and events into the active Weft session (see [`crate::layer`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct WeftLayer {
    _private: (),
}

impl WeftLayer {
    /// A new layer; it records only while a session is active.
    pub fn new() -> Self {
        Self::default()
    }
}

/// A span's label, interned once per session.
struct SpanLabel {
    text: String,
    interned: Option<(u32, StrId)>,
}

#[derive(Default)]
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            self.0.push_str(value);
        } else {
            self.record_debug(field, &value);
        }
    }
}

fn level_number(level: &Level) -> u8 {
    match *level {
        Level::TRACE => 0,
        Level::DEBUG => 1,
        Level::INFO => 2,
        Level::WARN => 3,
        Level::ERROR => 4,
    }
}

impl<S> Layer<S> for WeftLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let text = if fields.0.is_empty() {
            attrs.metadata().name().to_owned()
        } else {
            format!("{} {}", attrs.metadata().name(), fields.0)
        };
        span.extensions_mut().insert(SpanLabel {
            text,
            interned: None,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(label) = ext.get_mut::<SpanLabel>() {
            let mut fields = Fields::default();
            values.record(&mut fields);
            if !fields.0.is_empty() {
                label.text.push(' ');
                label.text.push_str(&fields.0);
                label.interned = None;
            }
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if !record::enabled() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let epoch = record::epoch();
        let name = {
            let mut ext = span.extensions_mut();
            match ext.get_mut::<SpanLabel>() {
                Some(label) => match label.interned {
                    Some((e, name)) if e == epoch => name,
                    _ => {
                        let name = record::intern(&label.text);
                        label.interned = Some((epoch, name));
                        name
                    }
                },
                None => record::intern(span.metadata().name()),
            }
        };
        record::emit_with_metadata(
            EventKind::SpanEnter {
                span: id.into_u64(),
                name,
            },
            span.metadata(),
        );
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        if !record::enabled() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        record::emit_with_metadata(
            EventKind::SpanExit {
                span: id.into_u64(),
            },
            span.metadata(),
        );
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !record::enabled() {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        let message = if fields.0.is_empty() {
            meta.name()
        } else {
            fields.0.as_str()
        };
        record::emit_with_metadata(
            EventKind::Mark {
                message: record::intern(message),
                level: level_number(meta.level()),
            },
            meta,
        );
    }
}
