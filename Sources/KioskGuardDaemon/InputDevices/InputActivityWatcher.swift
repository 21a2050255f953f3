import CKioskGuardShims
import KioskGuardConfiguration
import KioskGuardCore
import Logging
import NIOConcurrencyHelpers
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Watches the evdev input devices of the terminals that name `input_devices`, so that a
/// terminal whose app cannot report activity still counts its keyboard, pointer and touch screen.
///
/// One thread blocks in `epoll_wait` with no timeout on the open devices, an inotify descriptor
/// on the directories the globs name (devices come and go: a keyboard unplugged and plugged in
/// again is followed) and an eventfd that stops it. Only that a person did something is
/// reported, at most twice a second per terminal; the records themselves are dropped unread.
final class InputActivityWatcher: Sendable {
    /// One terminal's devices.
    struct Watch: Sendable {
        /// The terminal the input counts for.
        var terminal: String
        /// Globs of device paths.
        var patterns: [String]
    }

    /// The least time between two reports of one terminal's input.
    static let reportInterval: Duration = .milliseconds(500)

    private let watches: [Watch]
    private let logger: Logger
    private let report: @Sendable (String) -> Void
    private let stopSignal: Int32
    private let finished = ConditionLock(value: false)
    private let thread = NIOThreadPool(numberOfThreads: 1)

    /// A watcher for the terminals of `configuration` that name input devices; nil when none
    /// does. `report` is called on the watcher's thread with the terminal's name.
    init?(configuration: DaemonConfiguration, logger: Logger, report: @escaping @Sendable (String) -> Void) throws {
        let watches = configuration.terminals.filter { !$0.inputDevices.isEmpty }.map { Watch(terminal: $0.name, patterns: $0.inputDevices) }
        guard !watches.isEmpty else { return nil }
        let signal = eventfd(0, Int32(EFD_CLOEXEC))
        guard signal >= 0 else { throw DaemonError("cannot make the input watcher's eventfd: \(String(cString: strerror(errno)))") }
        self.watches = watches
        self.logger = logger
        self.report = report
        stopSignal = signal
    }

    deinit { close(stopSignal) }

    /// Starts the watching thread.
    func start() {
        thread.start()
        thread.submit { _ in self.run() }
    }

    /// Stops watching, and returns once the thread is done.
    func stop() {
        var one = UInt64(1)
        _ = write(stopSignal, &one, MemoryLayout<UInt64>.size)
        finished.lock(whenValue: true)
        finished.unlock()
        try? thread.syncShutdownGracefully()
    }

    private func run() {
        defer {
            finished.lock()
            finished.unlock(withValue: true)
        }
        do {
            var devices = try InputDeviceLoop(watches: watches, stopSignal: stopSignal, logger: logger)
            defer { devices.closeAll() }
            try devices.run(report: report)
        } catch {
            logger.error("input devices are not watched: \(error)")
        }
    }
}

/// The watcher thread's state: the epoll set, the inotify watches and the open devices.
private struct InputDeviceLoop {
    private static let stopTag = UInt64.max
    private static let changeTag = UInt64.max - 1

    private let watches: [InputActivityWatcher.Watch]
    private let logger: Logger
    private let epoll: Int32
    private let inotify: Int32
    /// Open devices by descriptor: the device's path and the terminals its input counts for.
    private var open: [Int32: (path: String, terminals: [String])] = [:]
    private var lastReport: [String: ContinuousClock.Instant] = [:]

    init(watches: [InputActivityWatcher.Watch], stopSignal: Int32, logger: Logger) throws {
        self.watches = watches
        self.logger = logger
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw DaemonError("epoll_create1: \(String(cString: strerror(errno)))") }
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else {
            close(epoll)
            throw DaemonError("inotify_init1: \(String(cString: strerror(errno)))")
        }
        try add(stopSignal, tag: Self.stopTag)
        try add(inotify, tag: Self.changeTag)
        let changes = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB)
        for directory in Set(watches.flatMap(\.patterns).map(Self.directory(of:))) {
            if inotify_add_watch(inotify, directory, changes) < 0 {
                logger.warning("cannot follow input devices coming and going in \(directory): \(String(cString: strerror(errno)))")
            }
        }
    }

    mutating func closeAll() {
        for descriptor in open.keys { close(descriptor) }
        open.removeAll()
        close(inotify)
        close(epoll)
    }

    /// Waits for input or changes until the stop signal.
    mutating func run(report: @Sendable (String) -> Void) throws {
        rescan()
        var events = [epoll_event](repeating: epoll_event(), count: 32)
        var buffer = [UInt8](repeating: 0, count: InputEventRecords.size * 64)
        while true {
            let count = epoll_wait(epoll, &events, Int32(events.count), -1)
            if count < 0 {
                if errno == EINTR { continue }
                throw DaemonError("epoll_wait: \(String(cString: strerror(errno)))")
            }
            var rescanNeeded = false
            for event in events.prefix(Int(count)) {
                switch event.data.u64 {
                case Self.stopTag:
                    return
                case Self.changeTag:
                    drainChanges(&buffer)
                    rescanNeeded = true
                default:
                    let descriptor = Int32(truncatingIfNeeded: event.data.u64)
                    if readDevice(descriptor, &buffer) {
                        for terminal in open[descriptor]?.terminals ?? [] { reportActivity(of: terminal, report) }
                    }
                }
            }
            if rescanNeeded { rescan() }
        }
    }

    /// Reads what `descriptor` has; returns whether any of it was a person's input. A device
    /// that is gone (unplugged: ENODEV, or an end of file) is closed.
    private mutating func readDevice(_ descriptor: Int32, _ buffer: inout [UInt8]) -> Bool {
        var active = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                active = buffer.withUnsafeBytes { InputEventRecords.containActivity(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) } || active
                continue
            }
            if count < 0 && (errno == EAGAIN || errno == EINTR) { return active }
            forget(descriptor)
            return active
        }
    }

    /// Closes a device that is gone (unplugged, or no longer matched), saying so once.
    private mutating func forget(_ descriptor: Int32) {
        if let device = open.removeValue(forKey: descriptor) {
            logger.notice("input device \(device.path) of terminal \(device.terminals.joined(separator: ", ")) is gone")
        }
        close(descriptor)
    }

    private mutating func reportActivity(of terminal: String, _ report: @Sendable (String) -> Void) {
        let now = ContinuousClock.now
        if let last = lastReport[terminal], now - last < InputActivityWatcher.reportInterval { return }
        lastReport[terminal] = now
        report(terminal)
    }

    private func drainChanges(_ buffer: inout [UInt8]) {
        while buffer.withUnsafeMutableBytes({ read(inotify, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Opens the devices the globs match now and closes those they no longer match.
    private mutating func rescan() {
        var wanted: [String: [String]] = [:]
        for watch in watches {
            for path in watch.patterns.flatMap(Self.matches(of:)) where !(wanted[path]?.contains(watch.terminal) ?? false) {
                wanted[path, default: []].append(watch.terminal)
            }
        }
        for (descriptor, device) in open where wanted[device.path] == nil {
            forget(descriptor)
        }
        let opened = Set(open.values.map(\.path))
        for (path, terminals) in wanted.sorted(by: { $0.key < $1.key }) where !opened.contains(path) {
            let descriptor = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard descriptor >= 0 else {
                logger.warning("cannot open input device \(path) of terminal \(terminals.joined(separator: ", ")): \(String(cString: strerror(errno)))")
                continue
            }
            do {
                try add(descriptor, tag: UInt64(descriptor))
            } catch {
                close(descriptor)
                logger.warning("cannot watch input device \(path): \(error)")
                continue
            }
            open[descriptor] = (path, terminals)
            logger.notice("input device \(path) of terminal \(terminals.joined(separator: ", ")) is watched")
        }
    }

    private func add(_ descriptor: Int32, tag: UInt64) throws {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = tag
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event) == 0 else {
            throw DaemonError("epoll_ctl: \(String(cString: strerror(errno)))")
        }
    }

    /// The directory a glob's matches lie in (its last component may hold wildcards).
    static func directory(of pattern: String) -> String {
        guard let slash = pattern.lastIndex(of: "/"), slash != pattern.startIndex else { return "/" }
        return String(pattern[..<slash])
    }

    /// The device nodes `pattern` matches now, each by its real path (so a by-path link and its
    /// event node are one device).
    static func matches(of pattern: String) -> [String] {
        var found = glob_t()
        defer { globfree(&found) }
        guard glob(pattern, 0, nil, &found) == 0 else { return [] }
        return (0..<Int(found.gl_pathc)).compactMap { index in
            guard let path = found.gl_pathv[index], let resolved = realpath(path, nil) else { return nil }
            defer { free(resolved) }
            return String(cString: resolved)
        }
    }
}
