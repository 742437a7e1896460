//! What zoomsync asks of the operating system that no safe API offers: a last word before a
//! bus error ends the process. This is the crate's only `unsafe` code; each call is a plain libc
//! call on values this module owns.
#![allow(unsafe_code)]

/// What a bus error says before it ends the process. SQLite maps its `-shm` file into memory,
/// and a read of that memory after the file was truncated (or could not be extended) raises
/// `SIGBUS`, which used to end the process without a word.
const BUS_ERROR: &[u8] = b"zoomsync: fatal: bus error (SIGBUS) reading a memory-mapped file. On SQLite this is \
the database's -shm file, truncated, replaced or made unwritable under the running daemon, or its disk is \
full. Check the data directory (its files' owner, permissions and free space), then restart zoomsync.\n";

/// Installs a `SIGBUS` handler that writes [`BUS_ERROR`] to standard error. The handler runs
/// once (`SA_RESETHAND`) and returns: the faulting access runs again and the default action
/// ends the process with `SIGBUS`, as before, so supervisors see the same exit.
pub fn explain_bus_errors() {
    extern "C" fn on_bus_error(_signal: libc::c_int) {
        // Only async-signal-safe calls here: one `write` of a static buffer.
        // SAFETY: the buffer is static and its length is passed with it.
        unsafe {
            libc::write(libc::STDERR_FILENO, BUS_ERROR.as_ptr().cast(), BUS_ERROR.len());
        }
    }
    // SAFETY: `action` is zeroed (a valid `sigaction`), then given a handler of the signature
    // `sa_handler` expects and an empty mask; `sigaction` copies it.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_bus_error as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESETHAND;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}
