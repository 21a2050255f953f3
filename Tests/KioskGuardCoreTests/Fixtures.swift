import KioskGuardCore
import KioskGuardTesting

// People and things the rule tests talk about. The engine only ever sees pseudonyms.
let alice = Pseudonym(high: 0xA11CE, low: 1)
let bob = Pseudonym(high: 0xB0B, low: 2)
let benefitAccount = Pseudonym(high: 0xACC, low: 3)
let s1 = SessionID("s-1")
let s2 = SessionID("s-2")

extension EngineHarness {
    /// A harness with a connected terminal and Alice's session `s-1` begun.
    static func withAliceSession(policy: SessionPolicy = SessionPolicy(), lockPlan: LockPlan = LockPlan()) -> EngineHarness {
        var harness = EngineHarness(policy: policy, lockPlan: lockPlan)
        harness.connect()
        harness.send(.sessionBegin(s1, subject: alice, auth: AuthMethod("card+pin")))
        return harness
    }

    /// The state of terminal counter-1's open session, or nil when none is open.
    var state: SessionState? { openSession()?.state }
}

extension ClientNotice {
    var isLock: Bool { if case .lock = self { true } else { false } }
    var isWarn: Bool { if case .warn = self { true } else { false } }
    var isTerminate: Bool { if case .terminate = self { true } else { false } }
}
