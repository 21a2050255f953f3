import CKioskGuardShims
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program without a shell and waits for it, with a deadline.
enum ChildProcess {
    /// Spawns `argv` (an absolute program path and its arguments) with exactly `environment`,
    /// stdin/stdout/stderr on /dev/null, and waits at most `timeout`; a program still running then
    /// is killed. Returns the exit status.
    static func run(_ argv: [String], environment: [String], timeout: Duration) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        var pid: pid_t = 0
        let status = withCStrings(argv) { arguments in
            withCStrings(environment) { variables in
                posix_spawn(&pid, argv[0], &actions, nil, arguments, variables)
            }
        }
        guard status == 0 else { throw LockActionError("cannot start \(argv[0]): \(String(cString: strerror(status)))") }
        return try wait(for: pid, timeout: timeout)
    }

    private static func wait(for pid: pid_t, timeout: Duration) throws -> Int32 {
        guard let status = try exitStatus(of: pid, before: ContinuousClock.now + timeout) else {
            kill(pid, SIGKILL)
            _ = try reap(pid, options: 0)
            throw LockActionError("still running after \(timeout); killed")
        }
        // WIFEXITED / WEXITSTATUS, spelled out: the C macros are not imported into Swift.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// `pid`'s wait status once it exits, or nil if it is still running at `deadline`. A pidfd
    /// becomes readable when the process exits, so this waits on it without polling; a signal
    /// that interrupts the wait resumes it with the time left. Without pidfd (kernels before
    /// 5.3) it checks every 10 ms.
    private static func exitStatus(of pid: pid_t, before deadline: ContinuousClock.Instant) throws -> Int32? {
        let pidfd = kioskguard_pidfd_open(pid)
        guard pidfd >= 0 else {
            while ContinuousClock.now < deadline {
                if let status = try reap(pid, options: WNOHANG) { return status }
                var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
                nanosleep(&pause, nil)
            }
            return nil
        }
        defer { close(pidfd) }
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 { return try reap(pid, options: 0) }
            guard ready == 0 || errno == EINTR else { throw LockActionError("poll failed: \(String(cString: strerror(errno)))") }
        }
    }

    /// Collects `pid`'s wait status (nil when `WNOHANG` finds it still running), retrying a wait
    /// that a signal interrupted.
    private static func reap(_ pid: pid_t, options: Int32) throws -> Int32? {
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, options)
            if reaped == pid { return status }
            if reaped == 0 { return nil }
            guard errno == EINTR else { throw LockActionError("waitpid failed: \(String(cString: strerror(errno)))") }
        }
    }

    private static func withCStrings<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result) -> Result {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
