//! The dispatcher thread: takes records off the queue in batches and writes them.
//!
//! For each record it adds the route's configured context, then for each handler the
//! record reaches runs that handler's processors on its own copy, renders into one reused
//! buffer and hands the bytes to the handler. It flushes the handlers whenever the queue
//! runs dry, when a flush request arrives, and at shutdown. A handler error or a panic in
//! a processor, renderer or handler is caught, counted and reported; the dispatcher and
//! the other handlers carry on.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ko_log_config::handler::OnError;
use ko_log_config::QueueConfig;
use log::Level;

use super::keep::Keep;
use super::queue::Consumer;
use super::record::{Spares, ThreadNames};
use super::{Msg, Routed, Shared, ON_DISPATCHER};
use crate::clock::{self, Timeline};
use crate::context::Frame;
use crate::event::{Event, Value};
use crate::route::{Route, Routes};
use crate::stats::HandlerCounters;
use crate::{
    component::{Handler, Processor, Renderer},
    error::Error,
    report, unwind,
};

/// Most records taken in one batch before the dispatcher looks at its flags and control
/// channel again.
const BATCH: usize = 4096;

/// The longest the dispatcher sleeps without being woken, should a wake-up ever be
/// missed (none can be: see `Worker::idle`); a bound on a record's wait, not a poll.
const SLEEP_AT_MOST: Duration = Duration::from_millis(100);

/// How long the dispatcher naps between looks at empty lanes before it sleeps until woken
/// (see `Worker::idle`).
const NAP: Duration = Duration::from_micros(50);

/// How long the dispatcher keeps napping after the lanes ran dry before it sleeps until
/// a producer wakes it: a steady stream of records (one every few hundred microseconds
/// or faster) never makes a producer pay that wake-up.
const NAPPING: Duration = Duration::from_millis(1);

/// Under sustained overload, the drop warning is emitted at most this often.
const DROP_REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// Rounds of writing and flushing at shutdown after the last flush, for the records that
/// flushing logs (status records; each round's are about the flush before it).
const LAST_ROUNDS: usize = 4;

/// A handler's processors, by `type` name, in order.
pub(crate) type Processors = Vec<(String, Box<dyn Processor>)>;

/// One handler with its own processors and renderer. (Its level is the route's: see
/// [`crate::route::Route::handlers`].)
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub name: String,
    pub processors: Processors,
    pub renderer: Box<dyn Renderer>,
    pub handler: Box<dyn Handler>,
    /// The handler takes events, not lines ([`Handler::structured`]): no rendering.
    pub structured: bool,
    /// What [`crate::Stats::handler`] reads for this handler.
    pub counters: Arc<HandlerCounters>,
    /// The handler's [`crate::handler::Handle`]: its status records go to every handler
    /// but this one, and what it writes goes to the handlers attached to it too.
    pub handle: crate::handler::Handle,
    /// Its `on_error` rings, when it has `on_error`.
    pub keep: Option<Keep>,
}

/// A generation of the config a reload made, for the dispatcher to take up.
#[derive(Debug)]
pub(crate) struct Generation {
    pub routes: Arc<Routes>,
    /// The pipelines of the handlers the reload opened, by slot.
    pub opened: Vec<(usize, Pipeline)>,
    /// New renderers and processors for kept handlers, by slot.
    pub updated: Vec<(usize, Update)>,
}

/// A kept handler's new renderer, processors and `on_error` (its params did not
/// change, so the handler itself is not reopened).
#[derive(Debug)]
pub(crate) struct Update {
    pub renderer: Box<dyn Renderer>,
    pub processors: Processors,
    pub on_error: Option<OnError>,
}

/// Everything the dispatcher thread owns.
pub(crate) struct Worker {
    /// Flush requests, retirements and wake-ups; the records come on the lanes
    /// ([`Shared::lanes`]).
    pub control: flume::Receiver<Msg>,
    pub shared: Arc<Shared>,
    /// The generations of the config whose records may still come, oldest first; the
    /// last is the one in force.
    pub generations: Vec<Arc<Routes>>,
    /// The handlers, by slot; a slot is emptied when its handler is retired.
    pub pipelines: Vec<Option<Pipeline>>,
    pub queue: QueueConfig,
    /// Dropped when the thread ends, however it ends: the guard waits on it.
    pub _done: flume::Sender<()>,
}

/// Per-run state of the loop.
struct State {
    buf: Vec<u8>,
    /// Message buffers of finished records, reused for the next ones (no malloc/free
    /// per record on this thread).
    spare: Spares,
    threads: ThreadNames,
    timeline: Timeline,
    reported_drops: u64,
    last_drop_report: Instant,
    /// Formatting panics already reported.
    reported_format_panics: u64,
    /// Records taken off the queue after the drain deadline, not written.
    abandoned: u64,
    /// The lanes, as of [`State::lanes_version`], each with the time of the record at
    /// its head when last seen (`None`: empty then).
    lanes: Vec<(Consumer, Option<u64>)>,
    lanes_version: u64,
    /// Something was written (or a handler asked to be flushed) since the last flush.
    dirty: bool,
    /// A lane was emptied since the callers waiting for room were last woken: a caller
    /// waits for its lane to be empty, so only then may one of them go on.
    emptied: bool,
}

impl Worker {
    /// Runs until the guard closes the queue and it is drained (or `drain_timeout` passes).
    pub fn run(mut self) {
        let _ = ON_DISPATCHER.try_with(|flag| flag.set(true));
        // Callers waiting for room must learn that this thread is gone, however it ends;
        // and a record a caller queued after the last drain (it passed the shutdown check
        // just before the guard closed the queue) is counted, by this thread or by that
        // caller (`Queue::push`), never left in a lane unseen.
        struct Finished<'a>(&'a Shared, &'a flume::Receiver<Msg>);
        impl Drop for Finished<'_> {
            fn drop(&mut self) {
                self.0.finished.store(true, Ordering::SeqCst);
                self.0.room.wake_if(|| true);
                for lane in self.0.lanes.consumers() {
                    super::queue::count_stranded(self.0, &lane);
                }
                super::queue::drain(self.1);
            }
        }
        let shared = Arc::clone(&self.shared);
        let control = self.control.clone();
        let _finished = Finished(&shared, &control);
        let mut state = State {
            buf: Vec::with_capacity(1024),
            spare: Spares::default(),
            threads: ThreadNames::default(),
            timeline: Timeline::default(),
            reported_drops: 0,
            last_drop_report: Instant::now(),
            reported_format_panics: 0,
            abandoned: 0,
            lanes: Vec::new(),
            lanes_version: u64::MAX,
            dirty: false,
            emptied: false,
        };
        loop {
            let aside = self.write_aside(&mut state);
            while let Ok(msg) = self.control.try_recv() {
                self.control(msg, &mut state);
            }
            state.timeline.anchor();
            let took = self.drain_lanes(&mut state, clock::ticks(), BATCH);
            // Dry: nothing left at the lanes' heads (records logged during the round
            // included) and nothing set aside.
            let drained = !self.lanes_waiting(&mut state) && !self.write_aside(&mut state);
            self.shared
                .room
                .wake_if(|| std::mem::take(&mut state.emptied));
            self.report_drops(&mut state, drained);
            report_format_panics(&mut state);
            report::tick();
            self.tick_processors(&mut state, false);
            // Status records wait for no flush: a queue that never runs dry has them too.
            self.write_statuses();
            if drained && state.dirty {
                state.dirty = false;
                self.flush_all(false);
            }
            if self.shared.is_closed() && (drained || self.shared.past_deadline()) {
                break;
            }
            if drained && took == 0 && !aside && !self.idle(&mut state) {
                break;
            }
        }
        self.finish(&mut state);
    }

    /// Waits for work: naps ([`NAP`]) between looks at the lanes and the control channel
    /// for up to [`NAPPING`], then sleeps on the control channel until a producer or a
    /// control message wakes it. `false` once no one can send to it any more.
    ///
    /// Napping, not polling: while this thread is away, a producer's pushes stay in its
    /// own core's cache (polling reads each lane's write index, and every push then pays
    /// for taking the cache line back: most of a caller's cost when records come a few
    /// microseconds apart), and the records that came meanwhile are taken in one round.
    /// A record waits at most a nap for it. Sleeping until woken comes last: a caller
    /// that queues for a sleeping dispatcher has to wake it, a futex wake that costs
    /// several microseconds on a virtual machine.
    fn idle(&mut self, state: &mut State) -> bool {
        let start = Instant::now();
        loop {
            if !self.control.is_empty() || self.lanes_waiting(state) {
                return true;
            }
            if self.shared.is_closed() || start.elapsed() >= NAPPING {
                break;
            }
            std::thread::sleep(NAP);
        }
        // Say so, then look once more: a producer queues, then looks at the flag
        // (`Queue::wake_if_asleep`), so one of the two sees the other.
        self.shared.sleeping.store(true, Ordering::SeqCst);
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.lanes_waiting(state) {
            self.shared.sleeping.store(false, Ordering::SeqCst);
            return true;
        }
        // Asleep, it still wakes when a suppressed report count is due (`report`).
        let mut wake_at = Instant::now() + SLEEP_AT_MOST;
        if let Some(due) = report::next_due() {
            wake_at = wake_at.min(due);
        }
        // And when a processor has records of its own due (a rate limit's window ends).
        if let Some(due) = self.processors_due() {
            let wait = due.duration_since(SystemTime::now()).unwrap_or_default();
            wake_at = wake_at.min(Instant::now() + wait);
        }
        let woken = self.control.recv_deadline(wake_at);
        self.shared.sleeping.store(false, Ordering::SeqCst);
        report::tick();
        match woken {
            Ok(msg) => {
                self.control(msg, state);
                true
            }
            Err(flume::RecvTimeoutError::Timeout) => true,
            Err(flume::RecvTimeoutError::Disconnected) => false,
        }
    }

    /// Re-reads the list of lanes if a lane was added since (keeping what is known of
    /// the lanes already seen).
    fn refresh_lanes(&self, state: &mut State) {
        let version = self.shared.lanes.version();
        if version != state.lanes_version {
            let known = std::mem::take(&mut state.lanes);
            state.lanes = self
                .shared
                .lanes
                .consumers()
                .into_iter()
                .map(|lane| {
                    let head = known
                        .iter()
                        .find(|(k, _)| Arc::ptr_eq(k, &lane))
                        .and_then(|(_, head)| *head);
                    (lane, head)
                })
                .collect();
            state.lanes_version = version;
        }
    }

    /// Whether any lane holds a record.
    fn lanes_waiting(&self, state: &mut State) -> bool {
        self.refresh_lanes(state);
        state
            .lanes
            .iter()
            .any(|(lane, head)| head.is_some() || !super::lock(lane).is_empty())
    }

    /// Writes the records logged before `before` (in [`clock::ticks`]), oldest first
    /// across the lanes, at most `budget` of them; how many it wrote. A lane whose thread
    /// has exited is released once empty.
    ///
    /// The lanes are merged by the time their records were logged: the record taken next
    /// is the oldest at the lanes' heads (taken in runs: the oldest lane is emptied for as
    /// long as its head is older than every other head, without comparing them again). Only records older than `before`, taken before
    /// the lanes are read, are taken: a record logged after another one was queued (on
    /// another thread, or by a task that moved threads) has a later time, so it either
    /// waits for the next round or meets the earlier one at a head and comes after it.
    fn drain_lanes(&mut self, state: &mut State, before: u64, budget: usize) -> usize {
        self.refresh_lanes(state);
        let mut lanes = std::mem::take(&mut state.lanes);
        for (lane, head) in &mut lanes {
            if head.is_none() {
                let lane = super::lock(lane);
                *head = peek_time(&lane);
                if head.is_some() {
                    let waiting = lane.slots().min(self.queue.capacity);
                    self.shared
                        .counters
                        .high_water
                        .fetch_max(waiting, Ordering::Relaxed);
                }
            }
        }
        let mut took = 0;
        while took < budget {
            // The oldest head, and the head after it: the oldest lane's run up to that
            // time is taken under one lock, without looking at the other lanes again.
            let mut oldest: Option<(u64, usize)> = None;
            let mut next = before;
            for (at, (_, head)) in lanes.iter().enumerate() {
                let Some(time) = head.filter(|&t| t < before) else {
                    continue;
                };
                match oldest {
                    Some((first, _)) if time >= first => next = next.min(time),
                    _ => {
                        if let Some((first, _)) = oldest {
                            next = next.min(first);
                        }
                        oldest = Some((time, at));
                    }
                }
            }
            let Some((_, at)) = oldest else {
                break;
            };
            let (lane, head) = &mut lanes[at];
            loop {
                // Not held while the record is written: a `drop_oldest` producer takes it
                // to evict, and the dispatcher's own records may go to this lane.
                let mut consumer = super::lock(lane);
                let mut popped = consumer.pop();
                *head = peek_time(&consumer);
                drop(consumer);
                state.emptied |= head.is_none();
                // Handled where it lies: moving it out of the `Result` is a copy.
                if let Ok(msg) = &mut popped {
                    self.handle(msg, state);
                    took += 1;
                }
                if took >= budget || head.is_none_or(|time| time >= next) {
                    break;
                }
            }
        }
        if lanes
            .iter()
            .any(|(lane, head)| head.is_none() && super::queue::closed(lane))
        {
            self.shared.lanes.release_closed();
            lanes.retain(|(lane, head)| head.is_some() || !super::queue::closed(lane));
        }
        state.lanes = lanes;
        if took > 0 {
            state.dirty = true;
        }
        took
    }

    /// Writes every record logged before now (and what was set aside): everything
    /// logged before a flush request or a retirement comes first.
    fn barrier(&mut self, state: &mut State) {
        let now = clock::ticks();
        while self.drain_lanes(state, now, BATCH) > 0 {
            // Threads waiting for room in the lanes being emptied go on meanwhile.
            self.shared.room.wake_if(|| true);
        }
        while self.write_aside(state) {}
    }

    /// Acts on a control message.
    fn control(&mut self, msg: Msg, state: &mut State) {
        match msg {
            Msg::Flush(reply) => {
                self.barrier(state);
                self.flush_all(true);
                state.dirty = false;
                let _ = reply.send(());
            }
            Msg::Retire(generation, reply) => {
                self.barrier(state);
                self.retire(generation, &reply);
            }
            // A handler has something to say when flushed (a status record).
            Msg::Wake => state.dirty = true,
            mut record @ Msg::Record(..) => self.handle(&mut record, state),
        }
    }

    /// Shutdown: writes what is still queued until the drain deadline, counts the rest,
    /// flushes, and answers every waiter.
    fn finish(&mut self, state: &mut State) {
        loop {
            while let Ok(msg) = self.control.try_recv() {
                self.control(msg, state);
            }
            let took = self.drain_lanes(state, u64::MAX, usize::MAX);
            if !self.write_aside(state) && took == 0 && self.control.is_empty() {
                break;
            }
        }
        let abandoned = state.abandoned;
        self.tick_processors(state, true);
        for pipeline in self.pipelines.iter_mut().flatten() {
            if let Some(keep) = &mut pipeline.keep {
                keep.close(&pipeline.counters);
            }
        }
        self.report_drops(state, true);
        // From here on network handlers keep within the guard's deadline (less a margin
        // for joining): in the last flush, and when they are dropped as this thread ends
        // right after, delivering what they hold.
        self.shared.core.set_deadline(
            self.shared
                .deadline
                .get()
                .copied()
                .unwrap_or_else(|| Instant::now() + self.queue.drain_timeout)
                + super::guard::FLUSH_GRACE / 2,
        );
        self.adopt();
        self.flush_all(true);
        // What that flush logged (a network handler's status record, such as its
        // collector being unreachable) is written too, not left stranded in a lane.
        for _ in 0..LAST_ROUNDS {
            let mut logged = super::has_aside() || self.shared.core.has_statuses();
            while let Ok(msg) = self.control.try_recv() {
                self.control(msg, state);
            }
            logged |= self.drain_lanes(state, u64::MAX, usize::MAX) > 0;
            while self.write_aside(state) {}
            if !logged {
                break;
            }
            self.flush_all(true);
        }
        if abandoned > 0 {
            report::report(
                "RUNTIME::Dispatcher::SHUTDOWN::ERROR",
                &format!(
                    "{abandoned} records were still queued when drain_timeout ({:?}) expired and were not written",
                    self.queue.drain_timeout
                ),
            );
        }
        // Everything is written. Ending on a signal, the network handlers dropped next
        // get at most UNREACHABLE_GRACE more to reach a destination that is down.
        if self.shared.ending_by.get().is_some() {
            self.shared
                .core
                .set_unreachable_deadline(Instant::now() + super::guard::UNREACHABLE_GRACE);
        }
    }

    /// Writes the records this thread set aside (see `queue`); returns whether writing
    /// them set more aside.
    fn write_aside(&mut self, state: &mut State) -> bool {
        let aside = super::take_aside();
        if aside.is_empty() {
            return false;
        }
        for mut msg in aside {
            self.handle(&mut msg, state);
        }
        state.dirty = true;
        super::has_aside()
    }

    /// Writes one record (or counts it, past the drain deadline). By reference: a
    /// record (208 bytes) moved into each call on its way cost a copy each.
    fn handle(&mut self, msg: &mut Msg, state: &mut State) {
        match msg {
            Msg::Record(..) if self.shared.past_deadline() => {
                state.abandoned += 1;
                self.shared
                    .counters
                    .dropped_other
                    .fetch_add(1, Ordering::Relaxed);
            }
            Msg::Record(routed, captured, scope) => {
                let thread = captured.thread();
                let mut event =
                    captured.take_event(&mut state.threads, &mut state.timeline, &mut state.spare);
                let origin = (scope.as_deref(), thread);
                self.dispatch(*routed, &mut event, origin, &mut state.buf);
                state.spare.recycle(&mut event);
                self.shared.counters.written.fetch_add(1, Ordering::Release);
            }
            control => self.control(std::mem::replace(control, Msg::Wake), state),
        }
    }

    /// Where generation `generation`'s routes are in [`Worker::generations`], taking up
    /// the generations reloads made if it is new.
    #[inline]
    fn generation(&mut self, generation: u32) -> Option<usize> {
        let last = self.generations.len().checked_sub(1)?;
        if self.generations[last].generation() == generation {
            return Some(last);
        }
        let find = |generations: &[Arc<Routes>]| {
            generations
                .iter()
                .position(|routes| routes.generation() == generation)
        };
        find(&self.generations).or_else(|| {
            self.adopt();
            find(&self.generations)
        })
    }

    /// Takes up the generations reloads made: their new pipelines go into their slots,
    /// kept handlers get their new renderers and processors.
    fn adopt(&mut self) {
        let pending = std::mem::take(&mut *super::lock(&self.shared.pending));
        for generation in pending {
            for (slot, pipeline) in generation.opened {
                if self.pipelines.len() <= slot {
                    self.pipelines.resize_with(slot + 1, || None);
                }
                self.pipelines[slot] = Some(pipeline);
            }
            for (slot, update) in generation.updated {
                if let Some(Some(pipeline)) = self.pipelines.get_mut(slot) {
                    // The processors replaced say what they still hold first.
                    let errors = pipeline.tick(SystemTime::now(), true, &mut Vec::new());
                    self.shared
                        .counters
                        .handler_errors
                        .fetch_add(errors, Ordering::Relaxed);
                    pipeline.renderer = update.renderer;
                    pipeline.processors = update.processors;
                    // A changed `on_error` starts afresh.
                    let on_error = pipeline.keep.as_ref().map(Keep::config);
                    if on_error != update.on_error {
                        if let Some(keep) = &mut pipeline.keep {
                            keep.close(&pipeline.counters);
                        }
                        pipeline.keep = update.on_error.map(Keep::new);
                    }
                }
            }
            self.generations.push(generation.routes);
        }
    }

    /// Forgets generation `generation` and hands back (through `reply`) the pipelines no
    /// other generation uses; they are flushed and dropped here if no one takes them.
    fn retire(&mut self, generation: u32, reply: &flume::Sender<Vec<Pipeline>>) {
        self.adopt();
        let newest = self.generations.last().map(|routes| routes.generation());
        if newest == Some(generation) {
            return; // Never the config in force.
        }
        let Some(at) = self
            .generations
            .iter()
            .position(|routes| routes.generation() == generation)
        else {
            return;
        };
        let gone = self.generations.remove(at);
        let mut retired = Vec::new();
        for (slot, pipeline) in self.pipelines.iter_mut().enumerate() {
            if pipeline.is_some()
                && gone.uses(slot)
                && !self.generations.iter().any(|routes| routes.uses(slot))
            {
                if let Some(pipeline) = pipeline.as_mut() {
                    if let Some(keep) = &mut pipeline.keep {
                        keep.close(&pipeline.counters);
                    }
                    let errors = pipeline.tick(SystemTime::now(), true, &mut Vec::new());
                    self.shared
                        .counters
                        .handler_errors
                        .fetch_add(errors, Ordering::Relaxed);
                }
                retired.extend(pipeline.take());
            }
        }
        if let Err(flume::SendError(mut retired)) = reply.send(retired) {
            for pipeline in &mut retired {
                let _ = unwind::catch(|| pipeline.handler.sync());
            }
        }
    }

    /// Adds the scoped and configured context, then delivers one record to every
    /// handler of its route (and the handlers attached at run time that take it).
    fn dispatch(
        &mut self,
        routed: Routed,
        event: &mut Event,
        (scope, thread): (Option<&Frame>, u64),
        buf: &mut Vec<u8>,
    ) {
        let Some(at) = self.generation(routed.generation) else {
            // Cannot happen: a generation is handed over before any caller can use it.
            self.shared
                .counters
                .dropped_other
                .fetch_add(1, Ordering::Relaxed);
            return;
        };
        let Worker {
            generations,
            pipelines,
            shared,
            ..
        } = self;
        if let Some(route) = generations[at].get(routed.route as usize) {
            deliver(route, pipelines, shared, event, (scope, thread), buf);
        }
    }

    /// The earliest time a processor has records of its own to add.
    fn processors_due(&self) -> Option<SystemTime> {
        self.pipelines
            .iter()
            .flatten()
            .filter_map(Pipeline::due)
            .min()
    }

    /// Writes the records processors add on their own that are due (all they hold when
    /// `closing`: at shutdown).
    fn tick_processors(&mut self, state: &mut State, closing: bool) {
        let now = SystemTime::now();
        for pipeline in self.pipelines.iter_mut().flatten() {
            if closing || pipeline.due().is_some_and(|due| due <= now) {
                let errors = pipeline.tick(now, closing, &mut state.buf);
                self.shared
                    .counters
                    .handler_errors
                    .fetch_add(errors, Ordering::Relaxed);
                state.dirty = true;
            }
        }
    }

    /// Flushes every handler (with [`Handler::sync`] when `sync`: a flush request or
    /// shutdown, not the queue running dry), then copies each one's own figures into the
    /// shared counters.
    fn flush_all(&mut self, sync: bool) {
        self.write_statuses();
        self.flush_pipelines(sync);
        let mut lost = 0;
        for pipeline in self.pipelines.iter().flatten() {
            let counts = unwind::catch(|| pipeline.handler.counts()).unwrap_or_default();
            lost += counts.lost;
            *pipeline
                .counters
                .own
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = counts;
        }
        self.shared.counters.lost.store(lost, Ordering::Release);
    }

    /// Writes the status records handlers sent through their handles to every handler
    /// the `ko_log` target routes to, but the one each is about.
    fn write_statuses(&mut self) {
        let mut buf = Vec::new();
        for (from, mut event) in self.shared.core.take_statuses() {
            let Some(routes) = self.generations.last() else {
                return;
            };
            let route = routes.lookup("ko_log");
            if routes.get(route).is_none_or(|r| event.level > r.level) {
                continue;
            }
            let routed = Routed {
                generation: routes.generation(),
                route: route as u32,
            };
            let own = self
                .pipelines
                .iter()
                .position(|p| p.as_ref().is_some_and(|p| p.handle.id() == from));
            let taken = own.and_then(|slot| self.pipelines[slot].take());
            self.dispatch(routed, &mut event, (None, 0), &mut buf);
            if let (Some(slot), Some(pipeline)) = (own, taken) {
                self.pipelines[slot] = Some(pipeline);
            }
        }
    }

    fn flush_pipelines(&mut self, sync: bool) {
        for pipeline in self.pipelines.iter_mut().flatten() {
            let result = unwind::catch(|| {
                if sync {
                    pipeline.handler.sync()
                } else {
                    pipeline.handler.flush()
                }
            });
            if let Some(error) = failure(&pipeline.name, "flush", result) {
                pipeline.count_errors(&self.shared, 1);
                report::error(&format!("handler `{}`", pipeline.name), &error);
            }
        }
    }

    /// Emits one warning record with the number of records dropped since the last one.
    fn report_drops(&mut self, state: &mut State, drained: bool) {
        let total = self
            .shared
            .counters
            .dropped_by_policy
            .load(Ordering::Acquire);
        let new = total - state.reported_drops;
        if new == 0 || (!drained && state.last_drop_report.elapsed() < DROP_REPORT_INTERVAL) {
            return;
        }
        state.reported_drops = total;
        state.last_drop_report = Instant::now();
        let policy = self.queue.backpressure.as_str();
        let mut event = Event::new(
            Level::Warn,
            "ko_log",
            format!(
                "{new} records dropped: the queue (capacity {}) was full and backpressure is `{policy}`",
                self.queue.capacity
            ),
        );
        event.fields.insert("dropped", Value::U64(new));
        event.fields.insert("policy", policy);
        if let Some(routes) = self.generations.last() {
            let routed = Routed {
                generation: routes.generation(),
                route: routes.lookup("ko_log") as u32,
            };
            self.dispatch(routed, &mut event, (None, 0), &mut state.buf);
        }
    }
}

/// Delivers `event`, logged on `thread` (0: unknown) in `scope`, to the handlers attached
/// to `scope` or its logger and to every handler of `route` whose level it passes (a
/// handler whose level it does not pass keeps it for `on_error` if it has that), counting
/// what each handler wrote and what failed.
fn deliver(
    route: &Route,
    pipelines: &mut [Option<Pipeline>],
    shared: &Shared,
    event: &mut Event,
    (scope, thread): (Option<&Frame>, u64),
    buf: &mut Vec<u8>,
) {
    if let Some(scope) = scope {
        for (key, value) in &scope.fields {
            event.fields.insert_default(key.clone(), value.clone());
        }
        event.trace = event.trace.or(scope.trace);
    }
    for (key, value) in &route.context {
        event.fields.insert_default(key.clone(), value.clone());
    }
    let scopes = scope.map_or(&[][..], |scope| &scope.sinks);
    shared.core.write_attached(event, scopes, None);
    // The last handler to receive the event runs its processors on the event itself
    // (nobody sees it after); one before it gets a copy, so that no handler's
    // processors change what another receives.
    // (A handler that keeps the event for `on_error` sees it too.)
    let last = route.handlers.iter().rposition(|&(slot, level)| {
        matches!(pipelines.get(slot), Some(Some(p))
            if event.level <= level || p.keep.as_ref().is_some_and(|k| k.admits(event.level)))
    });
    for (index, &(slot, level)) in route.handlers.iter().enumerate() {
        let Some(Some(pipeline)) = pipelines.get_mut(slot) else {
            continue;
        };
        if event.level > level {
            if let Some(keep) = &mut pipeline.keep {
                keep.offer(event, scope, thread, &pipeline.counters);
            }
            continue;
        }
        // An error writes what its thread or task scope kept first.
        if event.level == Level::Error {
            if let Some(keep) = &mut pipeline.keep {
                let claimed = keep.claim(scope, thread, &pipeline.counters);
                let errors: u64 = claimed
                    .into_iter()
                    .map(|mut kept| pipeline.write_kept(&mut kept, buf))
                    .sum();
                pipeline.count_errors(shared, errors);
            }
        }
        let (errors, written) = if pipeline.processors.is_empty() {
            let errors = pipeline.write(event, buf);
            (errors, errors == 0)
        } else {
            let mut copy;
            let target = if last == Some(index) {
                &mut *event
            } else {
                copy = event.clone();
                &mut copy
            };
            match pipeline.process(target) {
                (true, errors) => {
                    let write_errors = pipeline.write(target, buf);
                    (errors + write_errors, write_errors == 0)
                }
                (false, errors) => (errors, false),
            }
        };
        if written {
            pipeline.counters.written.fetch_add(1, Ordering::Relaxed);
        }
        pipeline.count_errors(shared, errors);
    }
}

impl Pipeline {
    /// Counts `errors` of this handler in its own figures and in the backend's.
    fn count_errors(&self, shared: &Shared, errors: u64) {
        if errors > 0 {
            shared
                .counters
                .handler_errors
                .fetch_add(errors, Ordering::Relaxed);
            self.counters.errors.fetch_add(errors, Ordering::Relaxed);
        }
    }

    /// Writes one record claimed from the `on_error` rings (through the processors);
    /// returns the number of errors.
    fn write_kept(&mut self, event: &mut Event, buf: &mut Vec<u8>) -> u64 {
        let (keep, mut errors) = self.process(event);
        if keep {
            let failed = self.write(event, buf);
            if failed == 0 {
                self.counters.written.fetch_add(1, Ordering::Relaxed);
            }
            errors += failed;
        }
        errors
    }

    /// Runs the processors; `(keep, errors)`. A panicking processor is reported and skipped.
    fn process(&mut self, event: &mut Event) -> (bool, u64) {
        self.process_from(0, event)
    }

    /// Runs the processors from the `start`th on, as [`Pipeline::process`] does.
    fn process_from(&mut self, start: usize, event: &mut Event) -> (bool, u64) {
        let mut errors = 0;
        for (name, processor) in self.processors.iter_mut().skip(start) {
            match unwind::catch(|| processor.process(event)) {
                Ok(crate::component::Action::Keep) => {}
                Ok(crate::component::Action::Drop) => return (false, errors),
                Ok(crate::component::Action::Suppress) => {
                    self.counters.suppressed.fetch_add(1, Ordering::Relaxed);
                    return (false, errors);
                }
                Err(payload) => {
                    errors += 1;
                    let error = Error::ProcessorPanic {
                        name: name.clone(),
                        message: crate::unwind::panic_message(payload.as_ref()),
                    };
                    report::error(&format!("handler `{}`", self.name), &error);
                }
            }
        }
        (true, errors)
    }

    /// The earliest time a processor of this handler has records of its own to add
    /// ([`Processor::due`]).
    fn due(&self) -> Option<SystemTime> {
        self.processors.iter().filter_map(|(_, p)| p.due()).min()
    }

    /// Writes the records the processors add on their own ([`Processor::tick`]): those due
    /// by `now`, or, `closing`, all they hold. Each goes through the processors after
    /// the one that made it. Returns the number of errors.
    fn tick(&mut self, now: SystemTime, closing: bool, buf: &mut Vec<u8>) -> u64 {
        let mut errors = 0;
        let mut out = Vec::new();
        for at in 0..self.processors.len() {
            let (name, processor) = &mut self.processors[at];
            if !closing && processor.due().is_none_or(|due| due > now) {
                continue;
            }
            if let Err(payload) = unwind::catch(|| processor.tick(now, closing, &mut out)) {
                errors += 1;
                let error = Error::ProcessorPanic {
                    name: name.clone(),
                    message: crate::unwind::panic_message(payload.as_ref()),
                };
                report::error(&format!("handler `{}`", self.name), &error);
            }
            for mut event in out.drain(..) {
                let (keep, failed) = self.process_from(at + 1, &mut event);
                errors += failed;
                if keep {
                    let failed = self.write(&event, buf);
                    errors += failed;
                    if failed == 0 {
                        self.counters.written.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        if errors > 0 {
            self.counters.errors.fetch_add(errors, Ordering::Relaxed);
        }
        errors
    }

    /// Renders (unless the handler is structured) and writes one record; returns the
    /// number of errors (0 or 1).
    fn write(&mut self, event: &Event, buf: &mut Vec<u8>) -> u64 {
        self.handle.written(&self.name, event);
        buf.clear();
        let renderer = &self.renderer;
        if self.structured {
            // Takes the event itself: `buf` stays empty.
        } else if let Err(payload) = unwind::catch(|| renderer.render(event, buf)) {
            let error = Error::RendererPanic {
                handler: self.name.clone(),
                message: crate::unwind::panic_message(payload.as_ref()),
            };
            report::error(&format!("handler `{}`", self.name), &error);
            return 1;
        }
        let handler = &mut self.handler;
        let result = unwind::catch(|| handler.write(buf, event));
        match failure(&self.name, "write", result) {
            None => 0,
            Some(error) => {
                report::error(&format!("handler `{}`", self.name), &error);
                1
            }
        }
    }
}

/// Reports (rate limited) values and messages whose `Display` panicked on a caller.
fn report_format_panics(state: &mut State) {
    let total = unwind::FORMAT_PANICS.load(Ordering::Relaxed);
    if total > state.reported_format_panics {
        let new = total - state.reported_format_panics;
        state.reported_format_panics = total;
        report::report(
            "RUNTIME::Capture::PANIC::ERROR::RECOVERABLE",
            &format!("{new} logged messages or values panicked while being formatted; they were written as `<panicked while formatting>`"),
        );
    }
}

/// The error of a handler call, a caught panic included.
fn failure(
    name: &str,
    op: &'static str,
    result: std::thread::Result<Result<(), Error>>,
) -> Option<Error> {
    match result {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(payload) => Some(Error::HandlerPanic {
            handler: name.to_owned(),
            op,
            message: crate::unwind::panic_message(payload.as_ref()),
        }),
    }
}

/// The time of the record at a lane's head, if any.
fn peek_time(lane: &rtrb::Consumer<Msg>) -> Option<u64> {
    match lane.peek() {
        Ok(Msg::Record(_, captured, _)) => Some(captured.time()),
        Ok(_) => Some(0),
        Err(_) => None,
    }
}
