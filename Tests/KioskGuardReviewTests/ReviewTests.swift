import KioskGuardReview
import Testing

func entry(_ time: UInt64, _ event: String, host: String = "kiosk-a", terminal: String? = "counter-1", session: String? = nil,
           subject: String? = nil, account: String? = nil, reason: String? = nil, anomaly: String? = nil) -> ReviewEntry {
    ReviewEntry(time: time, host: host, event: event, terminal: terminal, session: session, subject: subject, account: account,
                reason: reason, anomaly: anomaly)
}

@Suite("Report")
struct ReportTests {
    @Test("counts sessions and end reasons per host and terminal, and the forgotten-logout rate")
    func figures() {
        var report = Report()
        for (index, reason) in ["logout", "abandoned", "abandoned", "card-swap"].enumerated() {
            report.add(entry(UInt64(index), "session-begun", session: "s-\(index)"))
            report.add(entry(UInt64(index), "session-ended", session: "s-\(index)", reason: reason))
        }
        report.add(entry(9, "anomaly", anomaly: "handover.card-swap"))
        report.add(entry(9, "step-denied"))
        report.add(entry(9, "session-begun", host: "kiosk-b"))
        report.add(entry(9, "anomaly", terminal: nil, anomaly: "guard.restarted"))
        report.add(entry(9, "anomaly", terminal: "made-up-by-a-peer", anomaly: "ipc.denied"))
        let terminals = report.terminals
        #expect(terminals.map { "\($0.host)/\($0.terminal)" } == ["kiosk-a/-", "kiosk-a/counter-1", "kiosk-b/counter-1"])
        let counter = terminals[1]
        #expect(counter.sessionsBegun == 4 && counter.sessionsEnded == 4)
        #expect(counter.endedBy == ["logout": 1, "abandoned": 2, "card-swap": 1])
        #expect(counter.forgottenLogoutRate == 0.5)
        #expect(counter.anomalies == ["handover.card-swap": 1] && counter.stepsDenied == 1)
        #expect(terminals[2].forgottenLogoutRate == 0, "no ended session: no rate")
        #expect(terminals[0].anomalies == ["guard.restarted": 1, "ipc.denied": 1], "a refused hello counts on the host's row")
    }
}

@Suite("Audit")
struct AuditTests {
    @Test("an account registered by two subjects is found across hosts, one row per registration with its own session's subject; the same subject twice is not")
    func accounts() {
        var audit = Audit()
        audit.add(entry(1, "step-done", host: "kiosk-a", session: "s-1", subject: "p:a", account: "p:acc"))
        audit.add(entry(2, "step-done", host: "kiosk-a", session: "s-2", subject: "p:a", account: "p:acc"))
        audit.add(entry(3, "step-done", host: "kiosk-a", session: "s-3", subject: "p:c", account: "p:other"))
        audit.add(entry(9_000_000, "step-done", host: "kiosk-b", session: "s-9", subject: "p:b", account: "p:acc"))
        let findings = audit.findings
        #expect(findings.map(\.rule) == ["account.multiple-subjects", "account.multiple-subjects"])
        #expect(findings.allSatisfy { $0.account == "p:acc" && $0.hosts == ["kiosk-a", "kiosk-b"] })
        #expect(findings.map(\.session) == ["s-1", "s-9"])
        #expect(findings.map(\.host) == ["kiosk-a", "kiosk-b"])
        #expect(findings.map(\.subject) == ["p:a", "p:b"], "each row names the subject of its own session")
        #expect(findings.map(\.others) == [["p:b"], ["p:a"]])
    }

    @Test("handovers: card swap, subject mismatch, a session superseded by another person, a step in an inactive session")
    func handovers() {
        var audit = Audit()
        audit.add(entry(1, "session-ended", session: "s-1", subject: "p:a", reason: "card-swap"))
        audit.add(entry(2, "session-ended", session: "s-2", subject: "p:a", reason: "subject-mismatch"))
        audit.add(entry(3, "session-ended", session: "s-3", subject: "p:a", reason: "superseded"))
        audit.add(entry(3, "session-begun", session: "s-4", subject: "p:b"))
        audit.add(entry(4, "session-ended", session: "s-4", subject: "p:b", reason: "superseded"))
        audit.add(entry(4, "session-begun", session: "s-5", subject: "p:b"))
        audit.add(entry(5, "step-done", session: "s-5", subject: "p:b", reason: "inactive-session"))
        #expect(audit.findings.map(\.rule) == ["handover.card-swap", "handover.subject-mismatch", "handover.unclosed-session",
                                               "step.on-inactive-session"])
        let unclosed = audit.findings[2]
        #expect(unclosed.session == "s-3" && unclosed.subject == "p:a" && unclosed.others == ["p:b"])
    }
}

@Suite("Time expressions")
struct TimeExpressionTests {
    let now: UInt64 = 1_795_748_967_000_000

    @Test("relative spans, epoch seconds, UTC dates and keywords", arguments: [
        ("now", UInt64(1_795_748_967_000_000)), ("-1h", 1_795_745_367_000_000), ("+30min", 1_795_750_767_000_000),
        ("-2d 3h", 1_795_565_367_000_000), ("@1700000000", 1_700_000_000_000_000), ("2026-11-27T00:00:00Z", 1_795_737_600_000_000),
    ])
    func forms(text: String, expected: UInt64) {
        #expect(TimeExpression.parse(text, now: now) == expected)
    }

    @Test("today is not after now and not more than a day before it")
    func today() throws {
        let today = try #require(TimeExpression.parse("today", now: now))
        #expect(today <= now && now - today < 86_400_000_000)
        let yesterday = try #require(TimeExpression.parse("yesterday", now: now))
        // A local day is 23, 24 or 25 hours long across daylight-saving changes.
        #expect([82_800, 86_400, 90_000].map { UInt64($0) * 1_000_000 }.contains(today - yesterday))
    }

    @Test("nonsense is refused", arguments: ["", "next tuesday", "-", "-1 fortnight", "2026-13", "@x"])
    func nonsense(text: String) {
        #expect(TimeExpression.parse(text, now: now) == nil)
    }
}

/// What the review verbs believe and print of entries anyone could have written.
@Suite struct ReviewTrustTests {
    @Test func onlyTheUnitOrTheDaemonRunByATrustedUserIsBelieved() {
        let trust = EntryTrust(units: ["kioskguard.service"], command: "kioskguardd", uids: ["0", "994"])
        #expect(trust.vouchesFor(unit: "kioskguard.service", command: "kioskguardd", uid: "994"))
        #expect(trust.vouchesFor(unit: nil, command: "kioskguardd", uid: "0"))
        #expect(!trust.vouchesFor(unit: "session-3.scope", command: "logger", uid: "65534"))
        // A user who names a program of their own kioskguardd is still that user.
        #expect(!trust.vouchesFor(unit: "session-3.scope", command: "kioskguardd", uid: "1000"))
        #expect(!trust.vouchesFor(unit: nil, command: nil, uid: "0"))
    }

    @Test func controlCharactersArePrintedAsEscapes() {
        #expect(ReviewText.printable("counter-1") == "counter-1")
        #expect(ReviewText.printable("\u{1B}]0;owned\u{07}\u{1B}[2J") == "\\x1b]0;owned\\x07\\x1b[2J")
        #expect(ReviewText.printable("a\nb\u{7F}c\u{9B}d") == "a\\x0ab\\x7fc\\x9bd")
        #expect(ReviewText.printable("窓口 café") == "窓口 café")
    }
}
