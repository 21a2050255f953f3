@testable import KioskGuardDaemon
import KioskGuardProtocol
import NIOCore
import Testing

@Suite("Connection budget and refusal ledger")
struct ConnectionBudgetTests {
    let limits = ConnectionLimits(total: 10, perUID: 2, namedUIDs: [1000: 3], reserved: 4)

    @Test("one uid holds at most its share of unbound connections, and binding frees its share")
    func perUID() throws {
        var budget = ConnectionBudget()
        var tickets: [ConnectionBudget.Ticket] = []
        for _ in 0..<2 {
            guard case .admitted(let ticket) = budget.admit(uid: 666, under: limits) else { Issue.record("refused"); return }
            tickets.append(ticket)
        }
        #expect(budget.admit(uid: 666, under: limits) == .overUID(limit: 2))
        // Another uid is not affected.
        guard case .admitted(var other) = budget.admit(uid: 777, under: limits) else { Issue.record("refused"); return }
        budget.bind(&tickets[0])
        budget.bind(&tickets[0])
        #expect(budget.unbound(of: 666) == 1)
        guard case .admitted = budget.admit(uid: 666, under: limits) else { Issue.record("refused after a bind"); return }
        budget.close(tickets[0])
        budget.close(tickets[1])
        budget.bind(&other)
        budget.close(other)
        #expect(budget.unbound(of: 666) == 1)
        #expect(budget.unbound(of: 777) == 0)
        #expect(budget.open == 1)
    }

    @Test("a uid named by terminals may reconnect them all at once")
    func namedUID() {
        var budget = ConnectionBudget()
        for _ in 0..<3 {
            guard case .admitted = budget.admit(uid: 1000, under: limits) else { Issue.record("refused"); return }
        }
        #expect(budget.admit(uid: 1000, under: limits) == .overUID(limit: 3))
    }

    @Test("room is kept for named uids: the others fill total minus reserved, named ones the rest")
    func reserved() {
        var budget = ConnectionBudget()
        for uid in UInt32(1)...6 {
            guard case .admitted = budget.admit(uid: uid, under: limits) else { Issue.record("refused \(uid)"); return }
        }
        #expect(budget.admit(uid: 7, under: limits) == .overTotal(limit: 6))
        for _ in 0..<3 {
            guard case .admitted = budget.admit(uid: 1000, under: limits) else { Issue.record("named refused"); return }
        }
        #expect(budget.open == 9)
    }

    @Test("events limits come from the configuration's terminals")
    func eventLimits() throws {
        let fixture = try DaemonFixture()
        let limits = ConnectionLimits.events(fixture.host.configuration)
        #expect(limits.namedUIDs == [1000: 1])
        #expect(limits.reserved == 1)
        #expect(limits.perUID == 8)
        #expect(limits.total == 1024)
    }

    @Test("refusals: the first of a quiet key at once, the rest when the minute ends or once at close")
    func ledger() {
        var ledger = RefusalLedger()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let key = RefusalLedger.Key(uid: 5, terminal: "t")
        #expect(ledger.count(.badJSON, key: key, pid: 1, at: start)?.reason == "bad-json=1")
        #expect(ledger.nextReport == nil)
        for _ in 0..<9 { #expect(ledger.count(.unknownType, key: key, pid: 2, at: start + .seconds(1)) == nil) }
        #expect(ledger.nextReport == start + RefusalLedger.window)
        #expect(ledger.connectionClosed(key, at: start + .seconds(2)) == RefusalLedger.Summary(counts: [.unknownType: 9], pid: 2))
        // A second close in the same window writes nothing: its counts wait for the minute's end.
        _ = ledger.count(.unknownType, key: key, pid: 3, at: start + .seconds(3))
        #expect(ledger.connectionClosed(key, at: start + .seconds(4)) == nil)
        #expect(ledger.due(at: start + .seconds(59)).isEmpty)
        let due = ledger.due(at: start + .seconds(60))
        #expect(due.count == 1 && due[0].0 == key && due[0].1.total == 1)
        #expect(ledger.nextReport == nil)
        #expect(ledger.due(at: start + .seconds(121)).isEmpty)
    }

    @Test("refusals of keys beyond the ledger's bound are counted together")
    func ledgerBound() {
        var ledger = RefusalLedger()
        let now = NIODeadline.uptimeNanoseconds(0)
        for uid in 0..<UInt32(RefusalLedger.maxKeys) { _ = ledger.count(.badJSON, key: .init(uid: uid, terminal: nil), pid: 1, at: now) }
        #expect(ledger.count(.badJSON, key: .init(uid: 99_999, terminal: nil), pid: 1, at: now) != nil)
        #expect(ledger.count(.badJSON, key: .init(uid: 99_998, terminal: nil), pid: 1, at: now) == nil)
        #expect(ledger.nextReport == now + RefusalLedger.window)
    }
}
