//! Two threads: the stream is searched in blocks, each split at a line break into a part the
//! caller's thread searches and a part a worker thread searches at the same time.
//!
//! Why a line break is a safe split: no shape matches across `\n` (digit groups, hosts and
//! tokens never contain it, and the secret shapes' gaps are `[^\n]`), an e-mail's local part
//! stops at it, and a secret that waits its turn (behind an access key id or a `secret`
//! keyword) is on its trigger's line. So once the text before the line start `q` has been
//! searched with nothing waiting and no finding reaching past `q`, a fresh search from `q`
//! decides exactly what the sequential search would. When that does not hold, the caller
//! searches the worker's part again itself, so the output is the same either way. The
//! structured formats split the same way: the worker gets the tokenizer's labels of its part
//! with the bytes, and a finding is accepted by the same rule on either thread.
//!
//! The worker is a long-lived thread fed through a channel (a thread started per block waited
//! 1.2–1.4 ms for a vCPU on the VM of the figures, as long as it then searched), and the caller
//! does not wait for its part right away: it reads the next block first, so the worker also
//! runs while the caller reads, checks and emits. How much of a block each side gets is sized
//! from the last block's measured times ([`Balance`]; the output does not depend on it).

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use crate::engine::{Engine, ScanState};
use crate::error::Error;
use crate::shapes::Finding;

/// Fewest bytes worth splitting (a hand-over costs a few microseconds, a wake-up more).
pub(crate) const MIN_SPLIT: usize = 64 * 1024;

/// The first block is this many times smaller than the others (see [`Split::next_block`]).
const FIRST_BLOCK_DIVISOR: usize = 4;

/// The caller's share of the first block, in 64ths: it also reads, checks and emits the
/// whole block, so a little less than half. Later blocks are cut by [`Balance`].
const FIRST_SHARE: usize = 28;

/// How long a thread polls for the other's message before it sleeps. A sleeping thread's
/// wake-up took up to 2 ms on the 2-vCPU VM of the figures (the woken thread was queued
/// behind its waker on the same vCPU), as long as the search of a part. Polling costs CPU
/// time while one side waits: little on dense text, up to half the one-thread CPU time on
/// typical text; 200 µs instead of 1 ms made typical text slower (run record 2026-12-05).
const SPIN: Duration = Duration::from_millis(1);

/// Whether a search of `hay` may take finding `f` (and how): the whole finding in plain
/// text, or fitted to the document structure (`crate::stream::fit`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accept {
    /// `None` for plain text; else whether the structure is JSON.
    pub(crate) structured: Option<bool>,
}

impl Accept {
    pub(crate) fn apply(self, f: &Finding, class: &[u8], field: &[u8]) -> Option<Finding> {
        match self.structured {
            None => Some(*f),
            Some(json) => crate::stream::fit(f, class, field, json),
        }
    }
}

/// A part searched by the worker: a copy of the bytes (and labels) it may look at, and what
/// it found there. Sent back and forth, so its buffers are reused.
#[derive(Debug)]
pub(crate) struct Job {
    engine: Arc<Engine>,
    st: ScanState,
    hay: Vec<u8>,
    class: Vec<u8>,
    field: Vec<u8>,
    accept: Accept,
    /// The part, in `hay`'s offsets.
    from: usize,
    limit: usize,
    found: Vec<Finding>,
    result: Result<(), Error>,
    /// How long the search took.
    took: Duration,
    /// The CPU the caller sent the job from (see `crate::affinity`).
    caller_cpu: Option<usize>,
}

impl Job {
    fn run(&mut self) {
        if let Some(cpu) = self.caller_cpu {
            crate::affinity::step_off(cpu);
        }
        let start = Instant::now();
        self.found.clear();
        self.result = collect(
            &self.engine,
            &mut self.st,
            &self.hay,
            &self.class,
            &self.field,
            self.accept,
            self.from,
            self.limit,
            &mut self.found,
        );
        self.took = start.elapsed();
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        self.engine.recycle(&mut self.st);
    }
}

/// A search thread. It holds no engine between jobs (each job brings one), so idle workers
/// can wait in the engine's pool for the next stream.
#[derive(Debug)]
pub(crate) struct Worker {
    jobs: Sender<Job>,
    done: Receiver<Job>,
}

impl Worker {
    /// Starts a worker thread; `None` if the system refuses one (then one thread searches).
    pub(crate) fn spawn() -> Option<Worker> {
        let (jobs, todo) = mpsc::channel::<Job>();
        let (finished, done) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("pii-search".to_owned())
            .spawn(move || {
                while let Some(mut job) = wait(&todo) {
                    job.run();
                    if finished.send(job).is_err() {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Worker { jobs, done })
    }
}

/// A part handed to the worker, in the caller's window offsets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InFlight {
    /// The part is `q..end`; `q` is a line start.
    pub(crate) q: usize,
    pub(crate) end: usize,
    /// The caller's search of the text before `q` ended there with nothing waiting, so the
    /// worker's findings are the sequential ones.
    pub(crate) valid: bool,
}

impl InFlight {
    pub(crate) fn shift(&mut self, n: usize) {
        self.q -= n;
        self.end -= n;
    }
}

/// The two-thread state of one stream.
#[derive(Debug)]
pub(crate) struct Split {
    engine: Arc<Engine>,
    worker: Option<Worker>,
    /// Whether a worker could be had at all (else the stream searches on one thread).
    pub(crate) usable: bool,
    pub(crate) in_flight: Option<InFlight>,
    spare: Option<Job>,
    /// The copy buffers (bytes, classes, fields) of the part last received: the next part
    /// sent takes them, while that part's job is still being emptied. So one set of buffers
    /// serves every part (a second set first grew, page by page, in the third block: 0.3–0.6 ms
    /// during which the worker waited).
    bufs: [Vec<u8>; 3],
    balance: Balance,
    /// Bytes searched per block (both parts).
    block: usize,
    /// Whether a part was handed to the worker yet.
    started: bool,
}

impl Split {
    pub(crate) fn new(engine: Arc<Engine>, block: usize) -> Split {
        Split {
            engine,
            worker: None,
            usable: true,
            in_flight: None,
            spare: None,
            bufs: Default::default(),
            balance: Balance::default(),
            block,
            started: false,
        }
    }

    /// Bytes to buffer (past the last block) before the next block is searched: a quarter
    /// block until the worker has had a part, so it starts searching sooner (the object's
    /// first bytes are read while it idles).
    pub(crate) fn next_block(&self) -> usize {
        if self.started {
            self.block
        } else {
            self.block / FIRST_BLOCK_DIVISOR
        }
    }

    /// Gets a worker now (from the engine's pool, else a new thread), so that it is running
    /// by the time the first block is read.
    pub(crate) fn prepare(&mut self) {
        if self.worker.is_none() && self.usable {
            self.worker = self.engine.take_worker().or_else(Worker::spawn);
            self.usable = self.worker.is_some();
        }
    }

    /// Where the caller's part of the block `from..limit` ends and the worker's begins: the
    /// first line start after the caller's share, if the block is worth splitting. `last`:
    /// the object's last block.
    pub(crate) fn cut(&self, hay: &[u8], from: usize, limit: usize, last: bool) -> Option<usize> {
        if !self.usable || limit.saturating_sub(from) < MIN_SPLIT {
            return None;
        }
        let mid = from + self.balance.first_part(limit - from, last);
        let q = memchr::memchr(b'\n', &hay[mid..limit]).map(|p| mid + p + 1)?;
        (q < limit).then_some(q)
    }

    /// Hands `q..end` of the window to the worker: it sees [`crate::stream::LOOKBACK`] bytes
    /// before and everything buffered after, as the caller's search would. `false` if no
    /// worker could be had.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send(
        &mut self,
        hay: &[u8],
        class: &[u8],
        field: &[u8],
        accept: Accept,
        q: usize,
        end: usize,
    ) -> bool {
        self.prepare();
        let Some(worker) = &self.worker else {
            return false;
        };
        let c0 = q.saturating_sub(crate::stream::LOOKBACK);
        let mut job = self.spare.take().unwrap_or_else(|| Job {
            st: self.engine.scan_state(),
            engine: Arc::clone(&self.engine),
            hay: Vec::new(),
            class: Vec::new(),
            field: Vec::new(),
            accept,
            from: 0,
            limit: 0,
            found: Vec::new(),
            result: Ok(()),
            took: Duration::ZERO,
            caller_cpu: None,
        });
        job.caller_cpu = crate::affinity::current_cpu();
        job.st.reset();
        job.accept = accept;
        swap_bufs(&mut self.bufs, &mut job);
        job.hay.clear();
        job.hay.extend_from_slice(&hay[c0..]);
        job.class.clear();
        job.field.clear();
        if accept.structured.is_some() {
            job.class.extend_from_slice(&class[c0..]);
            job.field.extend_from_slice(&field[c0..]);
        }
        (job.from, job.limit) = (q - c0, end - c0);
        self.balance.sent(end - q);
        self.started = true;
        if worker.jobs.send(job).is_err() {
            self.worker = None;
            self.usable = false;
            return false;
        }
        true
    }

    /// The caller searched `len` bytes of its part in `took`.
    pub(crate) fn searched(&mut self, len: usize, took: Duration) {
        self.balance.searched(len, took);
    }

    /// The worker's part back: its findings and end state, in window offsets (`q` is where
    /// the part starts in the window). `measure`: the caller read the next block meanwhile,
    /// so the times size the next block's parts.
    pub(crate) fn receive(&mut self, q: usize, measure: bool) -> Result<Done, Error> {
        let lost = || Error::Internal("the search thread stopped".to_owned());
        let worker = self.worker.as_ref().ok_or_else(lost)?;
        let busy = self.balance.sent_at.map(|t| t.elapsed());
        let mut job = match poll(&worker.done) {
            Ok(job) => job,
            Err(TryRecvError::Empty) => worker.done.recv().map_err(|_| lost())?,
            Err(TryRecvError::Disconnected) => return Err(lost()),
        };
        swap_bufs(&mut self.bufs, &mut job);
        if measure && let Some(busy) = busy {
            self.balance.received(busy, job.took);
        }
        Ok(Done { job, q })
    }

    /// Keeps `done`'s job (its findings and search state buffers) for the next part.
    pub(crate) fn reuse(&mut self, done: Done) {
        self.spare = Some(done.job);
    }
}

impl Drop for Split {
    fn drop(&mut self) {
        // A worker with a part in flight would hand its result to the next stream.
        if self.in_flight.is_none()
            && let Some(w) = self.worker.take()
        {
            self.engine.give_worker(w);
        }
    }
}

/// Exchanges `job`'s copy buffers with the kept ones `bufs`.
fn swap_bufs(bufs: &mut [Vec<u8>; 3], job: &mut Job) {
    let [hay, class, field] = bufs;
    std::mem::swap(hay, &mut job.hay);
    std::mem::swap(class, &mut job.class);
    std::mem::swap(field, &mut job.field);
}

/// Sizes the parts of a block from the last block's times, so that the caller (its part,
/// then reading the next block, checking and emitting) and the worker (its part) take about
/// as long. Only the cut depends on it, never the output.
#[derive(Debug, Default)]
struct Balance {
    /// Nanoseconds per byte of the caller's and the worker's search, and of the caller's other
    /// work per block; `None` until a block has been measured.
    rates: Option<(f64, f64, f64)>,
    sent_at: Option<Instant>,
    worker_len: usize,
    caller: (usize, Duration),
}

impl Balance {
    /// The caller's part of a block of `len` bytes. In the `last` block the caller has no next
    /// block to read, so its other work is left out (it waited ~0.4 ms for the worker at the
    /// end of dense 5 MB).
    fn first_part(&self, len: usize, last: bool) -> usize {
        let Some((caller, worker, mut other)) = self.rates else {
            return len * FIRST_SHARE / 64;
        };
        if last {
            other = 0.0;
        }
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let part = ((worker * len as f64 - other) / (caller + worker)).max(0.0) as usize;
        part.clamp(len / 8, len - len / 8)
    }

    fn sent(&mut self, worker_len: usize) {
        self.sent_at = Some(Instant::now());
        self.worker_len = worker_len;
    }

    fn searched(&mut self, len: usize, took: Duration) {
        self.caller = (len, took);
    }

    /// The caller was busy for `busy` since it sent the worker's part, which took `took`.
    fn received(&mut self, busy: Duration, took: Duration) {
        let (len, searched) = self.caller;
        if len == 0 || self.worker_len == 0 {
            return;
        }
        #[allow(clippy::cast_precision_loss)]
        let rates = (
            searched.as_nanos() as f64 / len as f64,
            took.as_nanos() as f64 / self.worker_len as f64,
            busy.saturating_sub(searched).as_nanos() as f64,
        );
        self.rates = Some(rates);
    }
}

/// Takes a message, polling for up to [`SPIN`] (yielding, so a partner queued on this vCPU
/// runs); `Empty` if none came.
fn poll(rx: &Receiver<Job>) -> Result<Job, TryRecvError> {
    let start = Instant::now();
    loop {
        match rx.try_recv() {
            Err(TryRecvError::Empty) if start.elapsed() < SPIN => std::thread::yield_now(),
            r => return r,
        }
    }
}

/// The worker's next job: polled, then waited for; `None` once the stream is gone.
fn wait(rx: &Receiver<Job>) -> Option<Job> {
    match poll(rx) {
        Ok(job) => Some(job),
        Err(TryRecvError::Empty) => rx.recv().ok(),
        Err(TryRecvError::Disconnected) => None,
    }
}

/// A part the worker finished.
#[derive(Debug)]
pub(crate) struct Done {
    job: Job,
    q: usize,
}

impl Done {
    /// The findings, in window offsets.
    pub(crate) fn findings(&mut self) -> Result<impl Iterator<Item = Finding> + '_, Error> {
        std::mem::replace(&mut self.job.result, Ok(()))?;
        let delta = self.q - self.job.from;
        Ok(self.job.found.iter().map(move |f| Finding {
            start: f.start + delta,
            end: f.end + delta,
            ..*f
        }))
    }

    /// Makes `st` continue where the worker's search ended.
    pub(crate) fn hand_over(&mut self, st: &mut ScanState) {
        st.take_over(&mut self.job.st, self.q - self.job.from);
    }
}

/// Every finding starting in `from..limit`, as the sequential loop takes them.
#[allow(clippy::too_many_arguments)]
fn collect(
    engine: &Engine,
    st: &mut ScanState,
    hay: &[u8],
    class: &[u8],
    field: &[u8],
    accept: Accept,
    from: usize,
    limit: usize,
    found: &mut Vec<Finding>,
) -> Result<(), Error> {
    let mut at = from;
    while at < limit {
        let Some(f) = engine.next(st, hay, at, limit, |f| accept.apply(f, class, field))? else {
            break;
        };
        at = f.end;
        found.push(f);
    }
    Ok(())
}
