//! The dispatcher's side of a captured record: the [`Event`] handlers see, dated against
//! the wall clock, its thread named, what it holds inline copied into buffers the
//! dispatcher reuses ([`Spares`]). The caller's side (how a record is captured and laid
//! out) is `capture.rs`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::capture::{self, Captured, Kv, Scalar, INLINE};
use crate::clock::Timeline;
use crate::event::{Event, Fields, Str, Value};

impl Captured {
    /// The event the dispatcher works on; thread names are resolved through `threads`,
    /// the time through `timeline`, and what is copied out of the inline buffer goes
    /// into buffers reused from `spare`. What the record owned on the heap is taken, not
    /// copied. (By reference: the record is not moved again on its way, see
    /// `Worker::handle`.)
    pub fn take_event(
        &mut self,
        threads: &mut ThreadNames,
        timeline: &mut Timeline,
        spare: &mut Spares,
    ) -> Event {
        let fields = match &mut self.fields {
            Kv::Heap(fields) => std::mem::take(fields),
            Kv::Inline { len: 0, .. } => Fields::new(),
            Kv::Inline { len, items } => {
                let items = items.get(..usize::from(*len)).unwrap_or_default();
                let mut fields = spare.fields.pop().unwrap_or_default();
                for (key, scalar) in items {
                    let value = match *scalar {
                        Scalar::Text { start, len } => {
                            let mut text = spare.string();
                            text.push_str(self.message.stored(start, len));
                            Value::Str(Cow::Owned(text))
                        }
                        other => other.value(&self.message),
                    };
                    fields.push_unchecked(Cow::Borrowed(*key), value);
                }
                fields
            }
        };
        let (target, module_path, file, line) = self.origin.take_parts();
        Event {
            time: timeline.date(self.time),
            level: capture::level_of(self.level),
            target,
            message: self.message.take_str(spare.strings.pop()),
            module_path,
            file,
            line,
            thread: threads.name(u64::from(self.thread)),
            fields,
            trace: None,
        }
    }
}

/// Buffers the dispatcher reuses from one event to the next, so that copying a record
/// out of its inline buffer allocates nothing in the steady state.
#[derive(Debug, Default)]
pub(crate) struct Spares {
    strings: Vec<String>,
    fields: Vec<Fields>,
}

impl Spares {
    /// Buffers of each kind kept at most, and the largest capacity worth keeping.
    const KEEP: usize = 64;
    const CAPACITY: usize = 1024;

    fn string(&mut self) -> String {
        self.strings
            .pop()
            .unwrap_or_else(|| String::with_capacity(INLINE))
    }

    /// Takes back the buffers of an event that has been written (it is dropped after,
    /// where it lies: taking it by value would copy it once more).
    pub fn recycle(&mut self, event: &mut Event) {
        let keep = |strings: &mut Vec<String>, text: &mut Str| {
            if let Cow::Owned(text) = text {
                if strings.len() < Self::KEEP && text.capacity() <= Self::CAPACITY {
                    let mut text = std::mem::take(text);
                    text.clear();
                    strings.push(text);
                }
            }
        };
        keep(&mut self.strings, &mut event.message);
        if event.fields.is_empty() {
            return;
        }
        let mut fields = std::mem::take(&mut event.fields);
        for mut value in fields.drain_values() {
            if let Value::Str(text) = &mut value {
                keep(&mut self.strings, text);
            }
        }
        if self.fields.len() < Self::KEEP && fields.capacity() <= Self::CAPACITY / 32 {
            self.fields.push(fields);
        }
    }
}

/// The dispatcher's cache of thread names, so that it never locks the registry per
/// record.
#[derive(Debug, Default)]
pub(crate) struct ThreadNames {
    /// The last thread seen: most records come in runs from one thread.
    last: Option<(u64, Arc<str>)>,
    cache: HashMap<u64, Arc<str>>,
}

impl ThreadNames {
    /// Threads remembered at most; the cache is emptied beyond (threads come and go).
    const LIMIT: usize = 4096;

    fn name(&mut self, key: u64) -> Arc<str> {
        if let Some((last, name)) = &self.last {
            if *last == key {
                return Arc::clone(name);
            }
        }
        let name = self.lookup(key);
        self.last = Some((key, Arc::clone(&name)));
        name
    }

    fn lookup(&mut self, key: u64) -> Arc<str> {
        if let Some(name) = self.cache.get(&key) {
            return Arc::clone(name);
        }
        let name = capture::thread_name(key).unwrap_or_else(|| Arc::from(format!("#{key}")));
        if self.cache.len() >= Self::LIMIT {
            self.cache.clear();
        }
        self.cache.insert(key, Arc::clone(&name));
        name
    }
}
