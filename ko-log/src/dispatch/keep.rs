//! `on_error = { keep, level }`: a handler's records kept until an error needs them.
//!
//! The dispatcher offers a handler every record its `level` skips; [`Keep`] keeps those
//! at or above `on_error.level` in a ring per origin, the thread that logged them or,
//! for a record logged in a task scope ([`crate::with_context`]), that scope, on
//! whichever thread. A ring holds `keep` records at most; the oldest is discarded to
//! make room. An error record the handler writes first claims its origin's ring: the
//! kept records are written just before it, in their order, with their own times and
//! `deferred = true`. Rings whose thread exited or whose task scope ended are discarded
//! now and then (when the number of rings has doubled since the last look), and every
//! ring when the handler closes. Kept, deferred and discarded records are counted in the
//! handler's [`crate::HandlerStats`].

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use ko_log_config::handler::OnError;
use log::Level;

use crate::context::{Frame, TaskScope};
use crate::event::Event;
use crate::stats::HandlerCounters;

/// Where a record was logged, as rings are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Origin {
    /// A thread, by ko-log's number for it.
    Thread(u64),
    /// A task scope, by its address (held weakly by its ring, so not reused meanwhile).
    Task(usize),
}

impl Origin {
    /// The origin of a record logged on `thread` in `scope`; `None` when unknown.
    fn of(scope: Option<&Frame>, thread: u64) -> Option<(Origin, Option<&Arc<TaskScope>>)> {
        match scope.and_then(|scope| scope.task.as_ref()) {
            Some(task) => Some((Origin::Task(Arc::as_ptr(task) as usize), Some(task))),
            None if thread != 0 => Some((Origin::Thread(thread), None)),
            None => None,
        }
    }
}

/// One origin's kept records.
#[derive(Debug)]
struct Ring {
    events: VecDeque<Event>,
    /// The task scope, for a task's ring: it ended when nothing holds it any more.
    task: Option<Weak<TaskScope>>,
}

impl Ring {
    /// Whether the thread or task scope it belongs to may still log.
    fn alive(&self, origin: Origin) -> bool {
        match (&self.task, origin) {
            (Some(task), _) => task.strong_count() > 0,
            (None, Origin::Thread(thread)) => crate::capture::thread_running(thread),
            (None, Origin::Task(_)) => false,
        }
    }
}

/// Fewest rings before ended ones are looked for.
const SWEEP_MIN: usize = 64;

/// A handler's `on_error` rings (module docs).
#[derive(Debug)]
pub(crate) struct Keep {
    keep: usize,
    level: log::LevelFilter,
    rings: HashMap<Origin, Ring>,
    /// Ended rings are looked for once there are this many.
    sweep_at: usize,
}

impl Keep {
    pub fn new(config: OnError) -> Keep {
        Keep {
            keep: config.keep,
            level: config.level,
            rings: HashMap::new(),
            sweep_at: SWEEP_MIN,
        }
    }

    /// The `on_error` these rings keep for.
    pub fn config(&self) -> OnError {
        OnError::new(self.keep, self.level)
    }

    /// Whether records of `level` that the handler skips are kept.
    #[inline]
    pub fn admits(&self, level: Level) -> bool {
        level <= self.level
    }

    /// Keeps a copy of `event` (skipped by the handler's level) if its level is kept and
    /// its origin known.
    pub fn offer(
        &mut self,
        event: &Event,
        scope: Option<&Frame>,
        thread: u64,
        counters: &HandlerCounters,
    ) {
        if !self.admits(event.level) {
            return;
        }
        let Some((origin, task)) = Origin::of(scope, thread) else {
            return;
        };
        if self.rings.len() >= self.sweep_at && !self.rings.contains_key(&origin) {
            self.sweep(counters);
        }
        let ring = self.rings.entry(origin).or_insert_with(|| Ring {
            events: VecDeque::new(),
            task: task.map(Arc::downgrade),
        });
        if ring.events.len() >= self.keep {
            ring.events.pop_front();
            counters.discarded.fetch_add(1, Ordering::Relaxed);
        }
        ring.events.push_back(event.clone());
        counters.kept.fetch_add(1, Ordering::Relaxed);
    }

    /// The records kept for the origin of an error record logged on `thread` in
    /// `scope`, oldest first, each marked `deferred = true` (counted as deferred).
    pub fn claim(
        &mut self,
        scope: Option<&Frame>,
        thread: u64,
        counters: &HandlerCounters,
    ) -> VecDeque<Event> {
        let Some((origin, _)) = Origin::of(scope, thread) else {
            return VecDeque::new();
        };
        let Some(ring) = self.rings.remove(&origin) else {
            return VecDeque::new();
        };
        let mut events = ring.events;
        for event in &mut events {
            event.fields.insert("deferred", true);
        }
        counters
            .deferred
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        events
    }

    /// Discards the rings whose thread exited or whose task scope ended.
    fn sweep(&mut self, counters: &HandlerCounters) {
        let mut discarded = 0;
        self.rings.retain(|origin, ring| {
            let alive = ring.alive(*origin);
            if !alive {
                discarded += ring.events.len() as u64;
            }
            alive
        });
        counters.discarded.fetch_add(discarded, Ordering::Relaxed);
        self.sweep_at = (self.rings.len() * 2).max(SWEEP_MIN);
    }

    /// Discards every ring (the handler closes, or its `on_error` changed).
    pub fn close(&mut self, counters: &HandlerCounters) {
        let discarded: usize = self.rings.drain().map(|(_, ring)| ring.events.len()).sum();
        counters
            .discarded
            .fetch_add(discarded as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Value;

    fn keep(n: usize) -> Keep {
        Keep::new(OnError::new(n, log::LevelFilter::Debug))
    }

    /// A debug record of `app` saying `message`.
    fn debug(message: &'static str) -> Event {
        Event::new(Level::Debug, "app", message)
    }

    fn messages(events: &VecDeque<Event>) -> Vec<String> {
        events.iter().map(|e| e.message.to_string()).collect()
    }

    #[test]
    fn a_ring_keeps_the_last_records_of_its_origin_until_claimed() {
        let counters = HandlerCounters::default();
        let mut keep = keep(2);
        let thread = 7;
        for message in ["a", "b", "c"] {
            keep.offer(&debug(message), None, thread, &counters);
        }
        // Trace is below on_error.level; thread 0 is unknown.
        keep.offer(
            &Event::new(Level::Trace, "app", "t"),
            None,
            thread,
            &counters,
        );
        keep.offer(&debug("x"), None, 0, &counters);
        let task = Frame {
            task: Some(Arc::default()),
            ..Frame::default()
        };
        keep.offer(&debug("task"), Some(&task), thread, &counters);
        let claimed = keep.claim(None, thread, &counters);
        assert_eq!(messages(&claimed), ["b", "c"]);
        assert!(claimed
            .iter()
            .all(|e| e.fields.get("deferred") == Some(&Value::Bool(true))));
        assert!(
            keep.claim(None, thread, &counters).is_empty(),
            "claimed once"
        );
        assert_eq!(
            messages(&keep.claim(Some(&task), thread, &counters)),
            ["task"]
        );
        assert_eq!(counters.kept.load(Ordering::Relaxed), 4);
        assert_eq!(counters.deferred.load(Ordering::Relaxed), 3);
        assert_eq!(counters.discarded.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn rings_of_ended_task_scopes_are_discarded() {
        let counters = HandlerCounters::default();
        let mut keep = keep(10);
        let live = Frame {
            task: Some(Arc::default()),
            ..Frame::default()
        };
        keep.offer(&debug("live"), Some(&live), 0, &counters);
        for _ in 0..SWEEP_MIN {
            let ended = Frame {
                task: Some(Arc::default()),
                ..Frame::default()
            };
            keep.offer(&debug("gone"), Some(&ended), 0, &counters);
        }
        // The 64th origin found 64 rings: the 63 ended ones then were discarded.
        assert_eq!(keep.rings.len(), 2, "the live one and the last one");
        assert_eq!(
            counters.discarded.load(Ordering::Relaxed),
            SWEEP_MIN as u64 - 1
        );
        keep.close(&counters);
        assert!(keep.rings.is_empty());
        assert_eq!(
            counters.discarded.load(Ordering::Relaxed),
            SWEEP_MIN as u64 + 1
        );
    }
}
