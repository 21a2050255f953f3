import KioskGuardVocabulary
import Testing

/// Every enum↔string table of the vocabulary round-trips, and no two values share a string
/// (systemd's test-login-tables is the model): a renamed or duplicated value breaks here, not
/// silently in `report` or `audit`.
@Suite struct VocabularyTableTests {
    private func roundTrips<Value: RawRepresentable & CaseIterable & Equatable>(_: Value.Type) where Value.RawValue == String {
        let values = Array(Value.allCases)
        #expect(!values.isEmpty)
        for value in values {
            #expect(Value(rawValue: value.rawValue) == value, "\(Value.self).\(value) does not survive its own string")
            #expect(!value.rawValue.isEmpty)
        }
        #expect(Set(values.map(\.rawValue)).count == values.count, "two \(Value.self) values share a string")
        #expect(Value(rawValue: "no-such-value") == nil)
    }

    @Test func everyTableRoundTrips() {
        roundTrips(AuditEvent.self)
        roundTrips(AnomalyKind.self)
        roundTrips(Severity.self)
        roundTrips(SessionState.self)
        roundTrips(WarnReason.self)
        roundTrips(LockReason.self)
        roundTrips(EndReason.self)
        roundTrips(StepDenial.self)
        roundTrips(EngineRefusal.self)
        roundTrips(StepDoneNote.self)
    }

    @Test("the anomalies that start incidents are the handovers and the account rule, nothing else")
    func leakKinds() {
        #expect(Set(AnomalyKind.allCases.filter(\.mayExposePersonalData)) == [
            .handoverCardSwap, .handoverSubjectMismatch, .handoverUnclosedSession, .stepOnInactiveSession, .accountMultipleSubjects,
        ])
    }

    @Test func typedReasonsSpellTheirReasonsString() {
        let records: [(RecordReason, String)] = WarnReason.allCases.map { (.warn($0), $0.rawValue) }
            + LockReason.allCases.map { (.lock($0), $0.rawValue) } + EndReason.allCases.map { (.end($0), $0.rawValue) }
            + StepDenial.allCases.map { (.denial($0), $0.rawValue) } + StepDoneNote.allCases.map { (.note($0), $0.rawValue) }
            + [(.auth("card+pin"), "card+pin")]
        for (reason, text) in records { #expect(reason.rawValue == text && reason.description == text) }
        let enforcements: [(EnforcementReason, String)] = LockReason.allCases.map { (.lock($0), $0.rawValue) }
            + EndReason.allCases.map { (.end($0), $0.rawValue) }
        for (reason, text) in enforcements { #expect(reason.rawValue == text) }
    }

    @Test func everyEventHasItsOwnMessageID() {
        let ids = AuditEvent.allCases.map(\.messageID)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id) is not 128 bits in lowercase hex")
        }
    }

    @Test func journalFieldNamesAreOnesJournaldKeeps() {
        #expect(Set(JournalFields.all).count == JournalFields.all.count)
        for name in JournalFields.all + [JournalFields.detailPrefix + "PEER_UID"] {
            // journald drops a field whose name is not uppercase ASCII, digits and '_', or starts with one.
            #expect(name.first != "_" && name.first?.isNumber == false && name.count <= 64, "\(name)")
            #expect(name.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }, "\(name)")
        }
    }

    @Test func severitiesAreOrdered() {
        #expect(Severity.allCases.sorted() == [.low, .medium, .high, .critical])
        #expect(AnomalyKind.accountMultipleSubjects.severity == .critical && AnomalyKind.ipcDenied.severity == .medium)
    }
}
