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
        // A pidfd becomes readable when the process exits: wait on it with the deadline, no polling.
        let pidfd = kioskguard_pidfd_open(pid)
        if pidfd >= 0 {
            defer { close(pidfd) }
            var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            if poll(&poller, 1, milliseconds) == 0 {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                throw LockActionError("still running after \(timeout); killed")
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw LockActionError("waitpid failed: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS, spelled out: the C macros are not imported into Swift.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    private static func withCStrings<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result) -> Result {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
