import Foundation
@testable import KioskGuardDaemon
import KioskGuardConfiguration
import KioskGuardCore
import Testing

@Suite("State store (SQLite)")
struct StateStoreTests {
    let directory = NSTemporaryDirectory() + "kioskguard-state-\(UUID().uuidString)"
    let alice = Pseudonym(high: 1, low: 1), bob = Pseudonym(high: 2, low: 2), account = Pseudonym(high: 3, low: 3)

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    @Test("open sessions and account links survive reopening; forgotten sessions do not")
    func roundTrip() throws {
        let begun = WallInstant(nanosecondsSinceEpoch: 1_767_225_600_000_000_000)
        do {
            let store = try StateStore(directory: directory)
            for action in [
                EngineAction.persist(PersistedSession(terminal: "t1", session: SessionID("s-1"), subject: alice, begunAt: begun)),
                .persist(PersistedSession(terminal: "t2", session: SessionID("s-2"), subject: bob, begunAt: begun)),
                .linkAccount(account: account, subject: alice, at: begun),
                .forget(terminal: "t1", session: SessionID("s-1")),
            ] { _ = store.enqueue(action) }
            #expect(store.hasPending)
            try store.commit()
            #expect(!store.hasPending)
        }
        let reopened = try StateStore(directory: directory)
        #expect(try reopened.openSessions() == [PersistedSession(terminal: "t2", session: SessionID("s-2"), subject: bob, begunAt: begun)])
        let links = try reopened.accountLinks()
        #expect(links.count == 1 && links[0].account == account && links[0].link.subject == alice)
        try reopened.pruneAccountLinks(before: begun + .seconds(1))
        #expect(try reopened.accountLinks().isEmpty)
    }

    @Test("only persistence actions are queued")
    func onlyPersistence() throws {
        let store = try StateStore(directory: directory)
        #expect(store.enqueue(.raise(Anomaly(kind: .clientLost, detectedAt: WallInstant(nanosecondsSinceEpoch: 0)))) == false)
        #expect(!store.hasPending)
    }
}
