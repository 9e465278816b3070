//! Where log lines go: standard error, written in blocks by a thread of its own.
//!
//! Every answer logs one line, so the way a line reaches stderr is on the cached path's
//! budget. Written on the request's thread, one `write` system call per line under stderr's
//! lock cost about a quarter of the cached throughput; `tracing-appender`'s non-blocking
//! writer moved the call to a worker but woke that worker through a channel for every line,
//! which cost as much again in futex calls and context switches on a two-core machine. Here a
//! line is appended to a shared buffer (a lock and a copy); the first line of a block wakes a
//! writer thread, which lets the lines of the next few milliseconds join it and writes them
//! out: one system call and one wake-up per block of lines, and none at all while idle.
//!
//! Nothing is dropped: when the buffer holds more than `MAX_BUFFERED` bytes (standard error
//! cannot keep up at all), the line's own thread writes the buffer out before adding to it, so
//! the slowness of stderr holds up the requests that log rather than growing memory.
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait before it is written: short enough that a quiet server's log
/// reads as live, long enough that a busy one writes hundreds of lines per call.
const FLUSH_EVERY: Duration = Duration::from_millis(10);

/// The most bytes held for the writer thread before a logging thread writes them itself.
const MAX_BUFFERED: usize = 4 << 20;

struct Shared {
    state: Mutex<State>,
    /// Wakes the writer thread: lines arrived in an empty buffer, or the guard is stopping it.
    wake: Condvar,
    /// Standard error; taken after `state` is released by the writer thread, and while `state`
    /// is held by a logging thread that writes for itself, so blocks leave in order.
    out: Mutex<Box<dyn Write + Send>>,
}

#[derive(Default)]
struct State {
    lines: Vec<u8>,
    stop: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // a panic while appending leaves at worst a partial line: keep logging
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_out(&self, block: &[u8]) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // a log that cannot be written has nowhere to say so
        let _ = out.write_all(block).and_then(|()| out.flush());
    }
}

/// The `MakeWriter` of the log layers: each line is appended to the shared buffer.
#[derive(Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

/// Stops the writer thread once the last lines are written; dropped at the end of `main`.
pub struct LogWriterGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A writer to standard error and the guard that writes its last lines.
pub fn stderr() -> (LogWriter, LogWriterGuard) {
    start(std::io::stderr())
}

fn start<W: Write + Send + 'static>(out: W) -> (LogWriter, LogWriterGuard) {
    let shared = Arc::new(Shared {
        state: Mutex::default(),
        wake: Condvar::new(),
        out: Mutex::new(Box::new(out)),
    });
    let writer = shared.clone();
    let thread = std::thread::Builder::new()
        .name("ocindex-log-writer".to_owned())
        .spawn(move || {
            let mut block = Vec::new();
            loop {
                let stopping = {
                    // asleep while there is nothing to write: an idle server's writer never wakes
                    let state = writer.state();
                    let state = writer
                        .wake
                        .wait_while(state, |s| s.lines.is_empty() && !s.stop)
                        .unwrap_or_else(PoisonError::into_inner);
                    state.stop
                };
                if !stopping {
                    // let the lines of the next few milliseconds join the block (a sleep costs
                    // less than a timed wait; a stop waits for it at most)
                    std::thread::sleep(FLUSH_EVERY);
                }
                let stop = {
                    let mut state = writer.state();
                    // swap, so that lines are added to the other buffer while this one is written
                    std::mem::swap(&mut state.lines, &mut block);
                    state.stop
                };
                if !block.is_empty() {
                    writer.write_out(&block);
                    block.clear();
                }
                if stop {
                    break;
                }
            }
        })
        .ok();
    (LogWriter { shared: shared.clone() }, LogWriterGuard { shared, thread })
}

impl Drop for LogWriterGuard {
    fn drop(&mut self) {
        self.shared.state().stop = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Write for LogWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        (&*self).write(line)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Write for &LogWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut state = self.shared.state();
        if state.lines.len() + line.len() > MAX_BUFFERED || state.stop {
            // stderr is behind (or the writer has stopped): this thread writes, holding the
            // lock so that lines stay in order
            state.lines.extend_from_slice(line);
            self.shared.write_out(&state.lines);
            state.lines.clear();
            return Ok(line.len());
        }
        let was_empty = state.lines.is_empty();
        state.lines.extend_from_slice(line);
        drop(state);
        if was_empty {
            // the first line of a block wakes the writer; the others find it awake
            self.shared.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    /// (borrowed: a clone per line would count the shared state's references up and down)
    type Writer = &'a LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

/// In tests, standard error stands for a pipe that collects what reached it.
#[cfg(test)]
#[derive(Clone, Default)]
pub(super) struct Collected(pub Arc<Mutex<Vec<u8>>>);

#[cfg(test)]
impl Write for Collected {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_from_many_threads_arrive_whole_in_order_per_thread_and_soon() {
        let out = Collected::default();
        let (writer, guard) = start(out.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut writer = writer.clone();
                std::thread::spawn(move || {
                    for n in 0..2_000 {
                        writer.write_all(format!("thread {t} line {n}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());

        // a quiet log reaches the output without anyone flushing it
        let mut waited = Duration::ZERO;
        while out.0.lock().unwrap().len() < 4 * 2_000 * "thread 0 line 0\n".len() {
            assert!(waited < Duration::from_secs(5), "the lines never reached the output");
            std::thread::sleep(FLUSH_EVERY);
            waited += FLUSH_EVERY;
        }
        drop(guard);

        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8_000);
        for t in 0..4 {
            let own: Vec<usize> = lines
                .iter()
                .filter_map(|l| l.strip_prefix(&format!("thread {t} line ")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(
                own,
                (0..2_000).collect::<Vec<_>>(),
                "thread {t}'s lines, whole and in order"
            );
        }
    }

    #[test]
    fn the_guard_writes_the_last_lines() {
        let out = Collected::default();
        let (mut writer, guard) = start(out.clone());
        writer.write_all(b"last words\n").unwrap();
        drop(guard);
        assert_eq!(out.0.lock().unwrap().as_slice(), b"last words\n");
    }
}
