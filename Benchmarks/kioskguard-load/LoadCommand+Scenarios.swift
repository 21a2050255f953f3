import ArgumentParser
import Histogram

/// Every terminal writes its activity lines as fast as the socket takes them, then a ping; the
/// run ends when every pong is back (each pong means every earlier line was handled).
struct ThroughputCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "throughput")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Activity lines per terminal.")
    var events = 2000

    func run() throws {
        let terminals = try connection.connectWithSessions()
        for index in terminals.sockets.indices {
            let line = Array("{\"type\":\"activity\",\"session\":\"s\(index)\"}\n".utf8)
            var batch: [UInt8] = []
            batch.reserveCapacity(line.count * events + 32)
            for _ in 0..<events { batch += line }
            batch += Array("{\"type\":\"ping\",\"id\":\"end\"}\n".utf8)
            terminals.queue(batch, to: index)
        }
        let started = ContinuousClock.now
        var done = 0
        try terminals.run { (_: Int, line: String) throws(LoadError) -> Bool in
            if line.contains("\"pong\"") { done += 1 }
            return done < terminals.sockets.count
        }
        let seconds = Double(microseconds(.now - started)) / 1e6
        let total = events * terminals.sockets.count
        print("{\"scenario\": \"throughput\", \"terminals\": \(terminals.sockets.count), \"events\": \(total), "
              + "\"seconds\": \(seconds), \"events_per_second\": \(Int(Double(total) / seconds))}")
    }
}

/// Every terminal begins a session, followed by a ping, as fast as the server takes them; its idle
/// timeout (given here, configured by the caller) makes the locks fall due as densely. A lock's
/// delay is its arrival minus (the arrival of the pong that followed its session.begin + the idle
/// timeout). The pong leaves right after the begin was handled, so this is the daemon's lateness
/// from the moment the session's deadline was set, give or take one transit.
struct LockDelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lock-delay")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The server's idle_timeout, in seconds (with warn_before 0).")
    var idleSeconds = 5

    @Option(help: "Sessions begun per wave; the next wave goes out when this one's pongs are in.")
    var wave = 100

    @Option(help: "The cost of one lock write in microseconds (Benchmarks/baseline/fanout_write.c), for this run's floor.")
    var writeMicroseconds: Double?

    @Option(help: "The server's process id: its threads' scheduling is read after the last pong and after the last lock.")
    var serverPID: Int32?

    func run() throws {
        let terminals = try Terminals(path: connection.socket, count: connection.terminals)
        let count = terminals.sockets.count
        // Each begin is followed by a ping, and its pong is the base of that session's deadline.
        // Begins go out in waves paced by the pongs, so this process reads every pong as it
        // comes (a pong read late would hide lateness) while the deadlines still fall as densely
        // as the server can begin sessions.
        let ping = Array("{\"type\":\"ping\",\"id\":\"begun\"}\n".utf8)
        var nextToBegin = 0, pongsAwaited = 0
        let beginWave = {
            let end = min(nextToBegin + wave, count)
            for index in nextToBegin..<end { terminals.queue(beginLine(index) + ping, to: index) }
            pongsAwaited = end - nextToBegin
            nextToBegin = end
        }
        beginWave()
        var begunAt = [ContinuousClock.Instant?](repeating: nil, count: count)
        var histogram = latencyHistogram()
        var locked = 0, early = 0
        var earliest = Duration.zero
        var beforeLocks: ThreadSchedule?
        try terminals.run { (index: Int, line: String) throws(LoadError) -> Bool in
            if line.contains("\"pong\"") {
                begunAt[index] = .now
                pongsAwaited -= 1
                if pongsAwaited == 0 { beginWave() }
                // Read once every session has begun, before the first deadline: nothing is read
                // while the locks come.
                if nextToBegin == count, pongsAwaited == 0, let serverPID { beforeLocks = try ThreadSchedule(process: serverPID) }
                return true
            }
            guard line.contains("\"lock\"") else { return true }
            guard let begun = begunAt[index] else { throw LoadError("t\(index) was locked before its begin was answered") }
            let delay = .now - begun - .seconds(idleSeconds)
            // A lock before its deadline means the pong was read late: the measure's own error.
            if delay < .zero { early += 1 }
            earliest = min(earliest, delay)
            _ = histogram.record(microseconds(delay))
            locked += 1
            return locked < count
        }
        // How far apart the deadlines fell: the daemon sets each as it handles the begin.
        let begun = begunAt.compactMap { $0 }
        let spread = Double(microseconds(begun.max()! - begun.min()!)) / 1000
        let floor = writeMicroseconds.map { ", \"floor_p99_ms\": \(Self.floorP99(deadlines: begun, writeMicroseconds: $0))" } ?? ""
        var schedule = ""
        if let serverPID, let beforeLocks, let wave = try ThreadSchedule(process: serverPID).since(beforeLocks, busiestNamed: "NIO-ELT-") {
            let milliseconds = { (nanoseconds: UInt64) in Double(nanoseconds / 1000) / 1000 }
            schedule = ", \"loop_thread\": \"\(wave.busiest.name)\", \"loop_running_ms\": \(milliseconds(wave.busiest.runningNanoseconds)), "
                + "\"loop_waiting_ms\": \(milliseconds(wave.busiest.waitingNanoseconds)), \"server_running_ms\": \(milliseconds(wave.processRunningNanoseconds))"
        }
        print("{\"scenario\": \"lock-delay\", \"sessions\": \(locked), \"deadline_spread_ms\": \(spread), \"early_locks\": \(early), \"earliest_ms\": \(Double(microseconds(.zero - earliest)) / 1000), \(percentileFields(histogram))\(floor)\(schedule)}")
    }

    /// The p99 delay a server would reach on these deadlines if it did nothing but write each
    /// lock, one after another, at the measured cost of a bare write(2): when deadlines clump,
    /// the later ones in a clump must wait for the writes before them, whatever the server.
    static func floorP99(deadlines: [ContinuousClock.Instant], writeMicroseconds: Double) -> Double {
        let start = deadlines.min()!
        var free = 0.0
        var delays: [Double] = []
        for deadline in deadlines.map({ Double(microseconds($0 - start)) }).sorted() {
            free = max(free, deadline) + writeMicroseconds
            delays.append(free - deadline)
        }
        delays.sort()
        return delays[Int(Double(delays.count - 1) * 0.99)].rounded() / 1000
    }
}

/// Each terminal asks `step.request` for a non-sensitive step, waits for the decision, and asks
/// again, `--requests` times: the round trip as a kiosk app sees it, under N concurrent apps.
struct StepRoundTripCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "step-rtt")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Requests per terminal, one at a time.")
    var requests = 100

    func run() throws {
        let terminals = try connection.connectWithSessions()
        let ask = { (index: Int, number: Int) in
            terminals.queue(Array("{\"type\":\"step.request\",\"id\":\"r\(number)\",\"session\":\"s\(index)\",\"step\":\"overview\"}\n".utf8),
                            to: index)
        }
        for index in terminals.sockets.indices { ask(index, 0) }
        var histogram = latencyHistogram()
        var answered = Array(repeating: 0, count: terminals.sockets.count)
        var finished = 0
        try terminals.run { (index: Int, line: String) throws(LoadError) -> Bool in
            guard line.contains("\"step.decision\"") else { return true }
            guard let sent = terminals.drainedAt[index] else { throw LoadError("t\(index) got a decision before asking") }
            _ = histogram.record(microseconds(.now - sent))
            answered[index] += 1
            if answered[index] < requests { ask(index, answered[index]) } else { finished += 1 }
            return finished < terminals.sockets.count
        }
        print("{\"scenario\": \"step-rtt\", \"terminals\": \(terminals.sockets.count), \"requests\": \(histogram.totalCount), "
              + "\(percentileFields(histogram))}")
    }
}
