import Glibc

/// What the scheduler says about each thread of a process (`/proc/PID/task/TID/schedstat`): the
/// time it ran and the time it sat runnable on a run queue, waiting for a CPU. Read before and
/// after a burst, the difference tells the server's own work from its waiting for others.
struct ThreadSchedule {
    /// One thread's totals since it started, in nanoseconds.
    struct Times {
        var name: String
        var runningNanoseconds: UInt64
        var waitingNanoseconds: UInt64
    }

    /// Every thread of the process, by thread id.
    let threads: [Int32: Times]

    /// Reads every thread of process `pid` now; a thread that ends while it is read is left out.
    init(process pid: Int32) throws(LoadError) {
        guard let directory = opendir("/proc/\(pid)/task") else { throw LoadError("cannot read /proc/\(pid)/task: errno \(errno)") }
        defer { closedir(directory) }
        var threads: [Int32: Times] = [:]
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let tid = Int32(name),
                  let schedule = Self.contents(of: "/proc/\(pid)/task/\(tid)/schedstat"),
                  let command = Self.contents(of: "/proc/\(pid)/task/\(tid)/comm") else { continue }
            // schedstat: time on a CPU (ns), time waiting on a run queue (ns), timeslices run.
            let fields = schedule.split(separator: " ")
            guard fields.count >= 2, let running = UInt64(fields[0]), let waiting = UInt64(fields[1]) else { continue }
            threads[tid] = Times(name: String(command.prefix { $0 != "\n" }), runningNanoseconds: running, waitingNanoseconds: waiting)
        }
        self.threads = threads
    }

    /// From `earlier` to `self`: the thread named `prefix`… that ran longest (the server's busy
    /// event loop, of the loops NIO names `NIO-ELT-…`), and every thread's running time summed.
    func since(_ earlier: ThreadSchedule, busiestNamed prefix: String) -> (busiest: Times, processRunningNanoseconds: UInt64)? {
        var busiest: Times?
        var total: UInt64 = 0
        for (tid, now) in threads {
            let before = earlier.threads[tid] ?? Times(name: now.name, runningNanoseconds: 0, waitingNanoseconds: 0)
            let delta = Times(name: now.name, runningNanoseconds: now.runningNanoseconds - before.runningNanoseconds,
                              waitingNanoseconds: now.waitingNanoseconds - before.waitingNanoseconds)
            total += delta.runningNanoseconds
            if now.name.hasPrefix(prefix), delta.runningNanoseconds > busiest?.runningNanoseconds ?? 0 { busiest = delta }
        }
        return busiest.map { ($0, total) }
    }

    private static func contents(of path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(descriptor, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }
}
