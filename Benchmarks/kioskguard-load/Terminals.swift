import CEpoll
import Glibc

/// N kiosk-app connections to the events socket, non-blocking, driven by one epoll loop: the
/// load generator's only I/O. Every connection is one terminal `t<index>` already welcomed.
final class Terminals {
    let sockets: [Int32]
    private let poller: Int32
    private var outgoing: [[UInt8]]
    private var sentUpTo: [Int]
    private var incoming: [[UInt8]]
    /// When each terminal's queued bytes were last all written: what a sent message is timed from.
    private(set) var drainedAt: [ContinuousClock.Instant?]

    /// Connects `count` terminals (`t0`…) to `path` and waits for every welcome.
    init(path: String, count: Int) throws(LoadError) {
        poller = epoll_create1(Int32(EPOLL_CLOEXEC))
        var sockets: [Int32] = []
        for index in 0..<count {
            let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw LoadError("socket: \(String(cString: strerror(errno)))") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard connected == 0 else { throw LoadError("connect \(path) (terminal \(index)): \(String(cString: strerror(errno)))") }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: UInt64(index)))
            _ = epoll_ctl(poller, EPOLL_CTL_ADD, descriptor, &event)
            sockets.append(descriptor)
        }
        self.sockets = sockets
        outgoing = Array(repeating: [], count: count)
        sentUpTo = Array(repeating: 0, count: count)
        incoming = Array(repeating: [], count: count)
        drainedAt = Array(repeating: nil, count: count)
        for index in 0..<count { queue(Array("{\"type\":\"hello\",\"terminal\":\"t\(index)\",\"protocol\":1}\n".utf8), to: index) }
        var welcomed = 0
        try run { (_: Int, line: String) throws(LoadError) -> Bool in
            if line.contains("\"welcome\"") { welcomed += 1 }
            return welcomed < count
        }
    }

    deinit {
        for descriptor in sockets { close(descriptor) }
        close(poller)
    }

    /// Queues `bytes` to terminal `index`; written as the socket takes them while `run` runs.
    func queue(_ bytes: [UInt8], to index: Int) {
        outgoing[index] += bytes
        var event = epoll_event(events: EPOLLIN.rawValue | EPOLLOUT.rawValue, data: epoll_data_t(u64: UInt64(index)))
        _ = epoll_ctl(poller, EPOLL_CTL_MOD, sockets[index], &event)
    }

    /// Writes what is queued and hands each line read to `onLine(terminal, line)` until it
    /// returns false. Lines are stamped by the caller when `onLine` runs, right after epoll
    /// reports them, so the generator's own parsing never counts as the daemon's time.
    func run(timeoutSeconds: Int32 = 120, _ onLine: (Int, String) throws(LoadError) -> Bool) throws(LoadError) {
        var events = [epoll_event](repeating: epoll_event(), count: 1024)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let ready = epoll_wait(poller, &events, Int32(events.count), timeoutSeconds * 1000)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { throw LoadError("the daemon went quiet for \(timeoutSeconds) s") }
            for event in events.prefix(Int(ready)) {
                let index = Int(event.data.u64)
                if event.events & EPOLLOUT.rawValue != 0 { flush(index) }
                guard event.events & (EPOLLIN.rawValue | EPOLLHUP.rawValue) != 0 else { continue }
                let count = read(sockets[index], &buffer, buffer.count)
                if count == 0 { throw LoadError("the daemon closed terminal t\(index)") }
                guard count > 0 else { continue }
                incoming[index] += buffer.prefix(count)
                while let newline = incoming[index].firstIndex(of: 0x0A) {
                    let line = String(decoding: incoming[index][..<newline], as: UTF8.self)
                    incoming[index].removeSubrange(...newline)
                    if try !onLine(index, line) { return }
                }
            }
        }
    }

    private func flush(_ index: Int) {
        while sentUpTo[index] < outgoing[index].count {
            let written = outgoing[index][sentUpTo[index]...].withUnsafeBytes { write(sockets[index], $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            sentUpTo[index] += written
        }
        drainedAt[index] = .now
        outgoing[index].removeAll(keepingCapacity: false)
        sentUpTo[index] = 0
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: UInt64(index)))
        _ = epoll_ctl(poller, EPOLL_CTL_MOD, sockets[index], &event)
    }
}

/// Why a load run could not go on.
struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
