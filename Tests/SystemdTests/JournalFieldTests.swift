import Systemd
import Testing

@Suite("Journal field names")
struct JournalFieldTests {
    @Test("journald's rule: uppercase, digits, underscore, at most 64, no leading underscore or digit", arguments: [
        ("KIOSKGUARD_EVENT", true), ("MESSAGE_ID", true), ("A", true), ("A1_B2", true), (String(repeating: "A", count: 64), true),
        (String(repeating: "A", count: 65), false), ("", false), ("_PID", false), ("1ABC", false), ("kioskguard_event", false),
        ("KIOSKGUARD-EVENT", false), ("KIOSKGUARD EVENT", false), ("KIOSKGUARD_ÄVENT", false),
    ])
    func names(name: String, valid: Bool) {
        #expect(JournalField.isValidName(name) == valid)
    }
}
